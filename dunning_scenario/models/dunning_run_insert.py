# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily run's writing of the reminders of a batch and of their lines, by
SQL, with every stored column filled, the computed ones included (penalties,
totals), so that the ORM has nothing to compute or write afterwards.

The rows go to PostgreSQL by COPY, their ids drawn from the table's sequence
beforehand: at 100,000 invoices a multi-row INSERT spends more time having its
parameters quoted by psycopg2 and parsed by PostgreSQL than storing them. What
remains is PostgreSQL's own work: the rows, their indexes and the checks of
their foreign keys (most of the time of the lines, measured in bench/README.md).
"""

import operator
import secrets
from dataclasses import dataclass

from odoo import api, models
from odoo.tools import SQL

from . import dunning_penalty as penalty
from .dunning_float import Rounding
from .dunning_penalty_calculator import EMPTY_PENALTY, PenaltyCalculator
from .dunning_reminder import SHORT_CODE_ALPHABET, SHORT_CODE_LENGTH
from .dunning_writer import NULL, TAB, copy_text, run_statement

# Rows per COPY statement (a few megabytes of text).
COPY_CHUNK = 5000
# Reminders computed, then written, at a time by the daily run: small enough
# for PostgreSQL to store a chunk while the next one is computed, large enough
# for each COPY to be worth its statement.
COPY_CHUNK_REMINDERS = 100
# Stored computed fields the batch creation writes itself.
REMINDER_COMPUTED = {
    "invoice_count",
    "amount_reminded",
    "amount_overdue",
    "amount_credit",
    "amount_net",
    "amount_net_company",
    "oldest_due_date",
    "amount_penalty",
    "amount_indemnity",
    "amount_total_claimed",
    "amount_claimed",
    "penalty_missing_rate",
    "has_channel_error",
    "dunning_channels_done",
}
KIND_SEQUENCE = {"level": 1, "overdue": 2, "credit": 3}
# Field types whose values COPY's text format reads from str(value) (their
# text ones escaped): booleans as True/False, floats as their shortest exact
# text (what psycopg2 sends too), dates and datetimes in ISO format.
COPY_TYPES = {
    "boolean",
    "char",
    "date",
    "datetime",
    "float",
    "html",
    "integer",
    "many2one",
    "monetary",
    "selection",
    "text",
}
COPY_TEXT_TYPES = {"char", "html", "selection", "text"}


@dataclass(slots=True)
class PenaltyContext:
    """What the penalties of a batch's lines need, read once for the batch."""

    calculator: PenaltyCalculator
    installments: dict  # {move id: [(due date, amount, [(payment date, amount)])]}
    invoiced: dict  # {move id: (interest, indemnity) already invoiced}
    langs: dict  # {customer id: its language}
    debtors: dict  # {scenario id: its debtor type}
    notice_levels: set  # ids of the formal-notice levels


def short_codes(count):
    """``count`` short codes of SHORT_CODE_LENGTH characters of
    SHORT_CODE_ALPHABET, each character drawn uniformly and independently (as
    secrets.choice draws them), from one read of the system's randomness: a
    random byte below the largest multiple of the alphabet's length picks
    the character of its remainder, the other bytes are drawn again."""
    alphabet = SHORT_CODE_ALPHABET
    base = len(alphabet)
    limit = 256 - 256 % base
    needed = count * SHORT_CODE_LENGTH
    chars = []
    while len(chars) < needed:
        chars += [
            alphabet[byte % base]
            for byte in secrets.token_bytes(needed - len(chars) + 16)
            if byte < limit
        ]
    return [
        "".join(chars[start : start + SHORT_CODE_LENGTH])
        for start in range(0, needed, SHORT_CODE_LENGTH)
    ]


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    @api.model
    def _dunning_next_names(self, company_id, count):
        """``count`` reminder names from the company's sequence, in one query."""
        company = self.env["res.company"].browse(company_id)
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", "dunning.reminder"), ("company_id", "in", [company_id, False])],
                order="company_id",
                limit=1,
            )
            .with_company(company)
        )
        if not sequence:
            return ["/"] * count
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence._next() for __ in range(count)]
        self.env.cr.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s)",
            [f"ir_sequence_{sequence.id:03d}", count],
        )
        # get_next_char, with the prefix and suffix interpolated once
        prefix, suffix = sequence._get_prefix_suffix()
        padding = sequence.padding
        return [f"{prefix}{number:0{padding}d}{suffix}" for (number,) in self.env.cr.fetchall()]

    @api.model
    def _dunning_insert_reminders(
        self, vals_list, open_by_customer, langs=None, writer=None, first=()
    ):
        """Create the reminders of a batch with their lines, by SQL: the names
        are drawn from the sequence in one query per company, the penalties and
        the totals computed here, and every stored column written in the
        INSERTs, so that the ORM recomputes nothing. No chatter note at
        creation: the reminder itself is the record (listed on each invoice's
        Reminders tab); the customer gets a note when it is sent.

        Everything is read first; then the reminders are computed a chunk at a
        time, each chunk written by ``writer`` while the next is computed.

        :param vals_list: values from _prepare_reminder_vals
        :param open_by_customer: {(customer, company): ids of its open invoices}
        :param langs: {customer id: its language}, read here when not given
        :param writer: a BackgroundWriter, else the rows are written here
        :param first: statements (see BackgroundWriter.submit) to run before
            the reminders are written, once they are read
        :return: the reminders created
        """
        if not vals_list:
            self._dunning_execute(first, writer)
            return self.browse()
        self.check_access("create")
        Line = self.env["dunning.reminder.line"]
        Line.check_access("create")
        preview = self.env.context.get("dunning_preview")
        runs = self.env.context.get("dunning_run_ids") or {}
        names = {}
        for company_id in {vals["company_id"] for vals in vals_list} if not preview else ():
            count = sum(1 for vals in vals_list if vals["company_id"] == company_id)
            names[company_id] = iter(self._dunning_next_names(company_id, count))
        preview_name = self.env._("Preview") if preview else None
        company_currency = {
            company.id: company.currency_id.id
            for company in self.env["res.company"].browse({v["company_id"] for v in vals_list})
        }
        lines_of = []
        codes = iter(short_codes(len(vals_list)))
        for vals in vals_list:
            lines_of.append(vals.pop("line_ids"))
            vals["name"] = preview_name or next(names[vals["company_id"]])
            vals["short_code"] = next(codes)
            if runs.get(vals["company_id"]):
                vals["run_id"] = runs[vals["company_id"]]
        context = self._dunning_penalty_context(vals_list, lines_of, langs)
        currencies = self.env["res.currency"].browse(
            {vals["currency_id"] for vals in vals_list} | set(company_currency.values())
        )
        roundings = {currency.id: Rounding(currency.rounding) for currency in currencies}
        levels = self.env["dunning.level"].browse({vals["level_id"] for vals in vals_list})
        show_penalties = {level.id: level.show_penalties for level in levels}
        # What _compute_move_paid_date gives (set for the invoices paid late
        # listed for their penalties), one query for the batch. The invoices
        # reminded or overdue were read open (not paid) in this transaction's
        # snapshot: only the other lines' documents can be paid.
        self.env["account.move"].flush_model(["payment_state", "dunning_paid_date"])
        paid_on = dict(
            self.env.execute_query(
                SQL(
                    """
                    SELECT id, dunning_paid_date
                      FROM account_move
                     WHERE id = ANY(%s) AND payment_state IN ('paid', 'in_payment')
                    """,
                    sorted(
                        {
                            line["move_id"]
                            for lines in lines_of
                            for line in lines
                            if line.get("move_id") and line["kind"] not in ("level", "overdue")
                        }
                    ),
                )
            )
        )
        reminder_ids = self._dunning_new_ids(self, len(vals_list))
        line_ids = iter(self._dunning_new_ids(Line, sum(len(lines) for lines in lines_of)))
        line_computed = {"kind_sequence", "move_paid_date", *EMPTY_PENALTY}
        self.env.cr.now()  # (the rows' creation time, read now rather than during the writes)
        self._dunning_execute(first, writer)
        for start in range(0, len(vals_list), COPY_CHUNK_REMINDERS):
            end = start + COPY_CHUNK_REMINDERS
            chunk, chunk_lines = vals_list[start:end], lines_of[start:end]
            self._dunning_compute_line_penalties(
                chunk, chunk_lines, open_by_customer, context=context
            )
            rows = []
            for reminder_id, vals, lines in zip(
                reminder_ids[start:end], chunk, chunk_lines, strict=True
            ):
                vals.update(
                    self._dunning_get_totals(
                        vals, lines, company_currency, roundings, show_penalties
                    )
                )
                for line in lines:
                    line.pop("penalty_invoice", None)
                    line.pop("is_payment", None)
                    line["reminder_id"] = reminder_id
                    line["kind_sequence"] = KIND_SEQUENCE.get(line["kind"], 9)
                    line["move_paid_date"] = paid_on.get(line.get("move_id"))
                    rows.append(line)
            statements = self._dunning_copy_statements(
                self, chunk, REMINDER_COMPUTED, reminder_ids[start:end]
            ) + self._dunning_copy_statements(
                Line, rows, line_computed, [next(line_ids) for __ in rows]
            )
            self._dunning_execute(statements, writer)
        if writer:
            writer.wait()
        # What the ORM holds of the invoices, customers and reminders (and
        # computed from them, such as an invoice's reminders) is stale.
        self.env.invalidate_all()
        return self.browse(reminder_ids)

    @api.model
    def _dunning_execute(self, statements, writer=None):
        """Run these statements (see BackgroundWriter.submit): by ``writer``
        when given, else here."""
        if writer:
            writer.submit(*statements)
            return
        for statement, text in statements:
            run_statement(self.env.cr, statement, text)

    @api.model
    def _dunning_penalty_context(self, vals_list, lines_of, langs=None):
        """What the penalties of these reminders' lines need, read at once (the
        lines' installments, penalties already invoiced, contractual rates,
        customers' languages, scenarios' debtor types, formal-notice levels).

        :param langs: {customer id: its language}, read here when not given
        """
        calculator = PenaltyCalculator(self.env["dunning.reminder.line"])
        move_ids = {
            line["move_id"]
            for lines in lines_of
            for line in lines
            if line["kind"] != "credit" and line.get("penalty_invoice")
        }
        installments = self.env["account.move"]._dunning_read_installments(sorted(move_ids))
        invoiced = (
            self.env["account.move"]
            .browse(sorted(move_ids))
            ._dunning_get_invoiced_penalties(posted_only=True)
        )
        for company_id in {vals["company_id"] for vals in vals_list}:
            calculator.prefetch_contracts(
                company_id, [v["partner_id"] for v in vals_list if v["company_id"] == company_id]
            )
        for company_id, day in {(vals["company_id"], vals["date"]) for vals in vals_list}:
            calculator.indemnity(company_id, day)  # (kept: read now, not while writing)
        if langs is None:
            self.env["res.partner"].flush_model(["lang"])
            langs = dict(
                self.env.execute_query(
                    SQL(
                        "SELECT id, lang FROM res_partner WHERE id = ANY(%s)",
                        sorted({vals["partner_id"] for vals in vals_list}),
                    )
                )
            )
        scenarios = self.env["dunning.scenario"].browse({vals["scenario_id"] for vals in vals_list})
        levels = self.env["dunning.level"].browse(
            {line["level_id"] for lines in lines_of for line in lines if line.get("level_id")}
        )
        return PenaltyContext(
            calculator,
            installments,
            invoiced,
            langs,
            {scenario.id: scenario.debtor_type for scenario in scenarios},
            {level.id for level in levels if level.is_formal_notice},
        )

    @api.model
    def _dunning_compute_line_penalties(self, vals_list, lines_of, open_by_customer, context):
        """Set the penalties of the lines (what _compute_penalty of the lines
        gives, for all the lines at once).

        :param context: the PenaltyContext of these lines' batch
        """
        calculator = context.calculator
        installments, invoiced = context.installments, context.invoiced
        debit_kinds = ("level", "overdue")
        values = calculator.values
        no_invoiced = (0.0, 0.0)
        for vals, lines in zip(vals_list, lines_of, strict=True):
            lang = context.langs.get(vals["partner_id"]) or self.env.lang
            debtor = context.debtors[vals["scenario_id"]]
            end = vals["date"]
            # A payment not matched pays the customer's single open invoice
            # (see dunning.reminder._dunning_get_unmatched_payments).
            unmatched = None
            single = open_by_customer.get((vals["partner_id"], vals["company_id"]), [])
            if len(single) == 1:
                debit = [
                    line
                    for line in lines
                    if line["kind"] in debit_kinds and line["move_id"] == single[0]
                ]
                payments = [
                    line
                    for line in lines
                    if line["kind"] == "credit"
                    and line.get("is_payment")
                    and calculator.round(line["currency_id"], line["amount_residual"]) < 0
                ]
                if (
                    debit
                    and payments
                    and all(line["currency_id"] == debit[0]["currency_id"] for line in payments)
                ):
                    unmatched = (
                        single[0],
                        [(line["date"], -line["amount_residual"]) for line in payments],
                    )
            for line in lines:
                invoice = line.get("penalty_invoice")
                if line["kind"] == "credit" or not invoice:
                    line.update(EMPTY_PENALTY, penalty_note=None, penalty_error_message=None)
                    continue
                move_id = line["move_id"]
                move_installments = installments.get(move_id, [])
                if unmatched and unmatched[0] == move_id:
                    move_installments = penalty.allocate_payments(move_installments, unmatched[1])
                line.update(
                    values(
                        invoice,
                        end,
                        debtor,
                        lang,
                        move_installments,
                        invoiced=invoiced.get(move_id, no_invoiced),
                        notice_level=line.get("level_id") in context.notice_levels,
                    )
                )
                line["penalty_note"] = line["penalty_note"] or None
                line["penalty_error_message"] = line["penalty_error_message"] or None

    @api.model
    def _dunning_get_totals(self, vals, lines, company_currency, roundings, show_penalties):
        """The reminder's stored totals from its lines: what _compute_amounts and
        _compute_penalty_amounts give, each amount rounded to its currency when
        set, as the ORM does, before the next one is derived from it.

        :param roundings: {currency id: Rounding}
        :param show_penalties: {level id: whether it states the penalties}"""
        company_currency_id = company_currency[vals["company_id"]]
        amount = roundings[vals["currency_id"]].round
        company_amount = roundings[company_currency_id].round
        level_lines, debit_lines, credit_lines = [], [], []
        for line in lines:
            kind = line["kind"]
            if kind == "credit":
                credit_lines.append(line)
            else:
                debit_lines.append(line)
                if kind == "level":
                    level_lines.append(line)
        amount_overdue = amount(sum([line["amount_residual"] for line in debit_lines]))
        amount_credit = amount(-sum([line["amount_residual"] for line in credit_lines]))
        amount_net = amount(amount_overdue - amount_credit)
        due_dates = [line["date_due"] for line in debit_lines if line.get("date_due")]
        amount_penalty = amount(sum([line["penalty_amount_currency"] for line in debit_lines]))
        amount_indemnity = company_amount(sum([line["indemnity_amount"] for line in debit_lines]))
        total = amount_net + amount_penalty
        if vals["currency_id"] == company_currency_id:
            total += amount_indemnity
        return {
            "invoice_count": len(level_lines),
            "amount_reminded": amount(sum([line["amount_residual"] for line in level_lines])),
            "amount_overdue": amount_overdue,
            "amount_credit": amount_credit,
            "amount_net": amount_net,
            "amount_net_company": company_amount(
                sum([line["amount_residual_company"] for line in lines])
            ),
            "oldest_due_date": min(due_dates) if due_dates else None,
            "amount_penalty": amount_penalty,
            "amount_indemnity": amount_indemnity,
            "amount_total_claimed": amount(total),
            "amount_claimed": amount(total if show_penalties[vals["level_id"]] else amount_net),
            "penalty_missing_rate": any(line["penalty_error"] for line in debit_lines),
            "has_channel_error": False,
            "dunning_channels_done": 0,  # no channel went out yet
        }

    @api.model
    def _dunning_new_ids(self, model, count):
        """``count`` new ids of ``model`` from its table's sequence, ascending."""
        [(sequence,)] = self.env.execute_query(
            SQL("SELECT pg_get_serial_sequence(%s, 'id')", model._table)
        )
        # (the sequence named by a constant: nextval() of a column's value
        # would look the sequence up again for each id)
        rows = self.env.execute_query(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", sequence, count)
        )
        return sorted(row[0] for row in rows)

    @api.model
    def _dunning_insert_rows(self, model, rows, computed):
        """Insert records of ``model`` from their values, as create() would
        store them (defaults for what is not given, floats rounded to their
        digits), by COPY.

        :param rows: list of dicts {field name: value as the column takes it}:
            None for an empty value (not False, booleans apart), monetary
            amounts already rounded to their currency (as the ORM rounds them)
        :param computed: the stored computed fields the rows give; any other
            stored computed field is left to the ORM (computed after the INSERT)
        :return: the ids inserted, in the rows' order
        """
        if not rows:
            return []
        ids = self._dunning_new_ids(model, len(rows))
        self._dunning_execute(self._dunning_copy_statements(model, rows, computed, ids))
        return ids

    @api.model
    def _dunning_copy_statements(self, model, rows, computed, ids):
        """The COPY statements inserting these records of ``model`` with these
        ids (see _dunning_insert_rows), as (statement, text) pairs; the stored
        computed fields the rows do not give are marked to compute."""
        if not rows:
            return []
        stored = [
            field
            for name, field in model._fields.items()
            if field.store and field.column_type and name not in models.MAGIC_COLUMNS
        ]
        to_compute = [field for field in stored if field.compute and field.name not in computed]
        defaults = model.default_get([field.name for field in stored if not field.compute])
        names = sorted(set(defaults).union(*rows))
        # what create() would write for a value not given: its default, else nothing
        template = dict.fromkeys(names)
        for name, value in defaults.items():
            field = model._fields[name]
            template[name] = value if value is not False or field.type == "boolean" else None
        digits, texts = [], []
        for index, name in enumerate(names):
            field = model._fields[name]
            if (
                not field.store
                or field.type not in COPY_TYPES
                or field.translate
                or field.company_dependent
            ):
                raise ValueError(f"{field} cannot be written by COPY")
            if field.type == "float" and field.get_digits(self.env):
                digits.append((index, Rounding.digits(field.get_digits(self.env)[1]).round))
            elif field.type in COPY_TEXT_TYPES:
                texts.append(index)
        values_of = operator.itemgetter(*names)
        columns = ["id", *names]
        tail = "\n"
        if model._log_access:
            uid, now = self.env.uid, self.env.cr.now()
            columns += ["create_uid", "create_date", "write_uid", "write_date"]
            tail = f"\t{uid}\t{now}\t{uid}\t{now}\n"
        statement = (
            f'COPY "{model._table}" ('
            + ", ".join(f'"{name}"' for name in columns)
            + f") FROM STDIN (NULL '{NULL}')"
        )
        statements = []
        for start in range(0, len(rows), COPY_CHUNK):
            text = []
            for record_id, row in zip(
                ids[start : start + COPY_CHUNK], rows[start : start + COPY_CHUNK], strict=True
            ):
                values = list(values_of(template | row))
                for index, round_ in digits:
                    values[index] = round_(values[index] or 0.0)
                for index in texts:
                    values[index] = copy_text(values[index])
                text.append(f"{record_id}\t{TAB.join(map(str, values))}{tail}")
            statements.append((statement, "".join(text)))
        if to_compute:
            records = model.browse(ids)
            for field in to_compute:
                self.env.add_to_compute(field, records)
        return statements
