# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily run's creation of reminders, for a batch of customers.

The batch's open invoices and credits are read in one query each as plain
values (no record per invoice), planned in plain Python (dunning_plan), their
penalties computed in plain Python (PenaltyCalculator), and the reminders and
their lines inserted by SQL with every stored column filled, the computed ones
included, so that the ORM has nothing to compute or write afterwards. The
invoices' planning columns and reminder status are updated in one statement.
"""

import operator
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from odoo import api, models, tools
from odoo.tools import SQL, float_compare, float_round

from . import dunning_penalty as penalty
from .dunning_plan import plan, plan_levels
from .dunning_reminder import SHORT_CODE_ALPHABET, SHORT_CODE_LENGTH
from .dunning_reminder_line import EMPTY_PENALTY, PenaltyCalculator, PenaltyInvoice

# Rows per INSERT / UPDATE statement.
CHUNK = 1000
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


@dataclass(slots=True)
class OpenInvoice:
    """An open customer invoice as the run reads it."""

    id: int
    partner_id: int  # commercial partner
    company_id: int
    currency_id: int
    name: str
    invoice_date: date | None
    due: date | None
    date: date
    amount_total: float
    amount_residual: float
    amount_residual_signed: float
    state: str
    excluded: bool
    next_date: date | None
    checked_date: date | None
    level_id: int | None
    last_date: date | None
    count: int
    notice_date: date | None
    notice_ack_date: date | None
    is_penalty_invoice: bool

    def penalty_invoice(self):
        return PenaltyInvoice(
            self.id,
            self.company_id,
            self.currency_id,
            self.partner_id,
            self.invoice_date or self.date,
            bool(self.is_penalty_invoice),
            self.notice_date,
            self.notice_ack_date,
        )


@dataclass(slots=True)
class CreditLine:
    """A receivable line lowering what a customer owes (credit note, payment
    not matched)."""

    id: int
    move_id: int
    partner_id: int
    company_id: int
    currency_id: int
    name: str
    date: date
    amount_currency: float
    amount_residual_currency: float
    amount_residual: float
    is_payment: bool


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    # ------------------------------------------------------------------
    # Reading a batch
    # ------------------------------------------------------------------

    @api.model
    def _dunning_read_open_invoices(self, partner_ids, company_ids):
        """Open invoices of these customers in these companies (record rules
        applied), oldest due first, as OpenInvoice, with their reminder plan
        (models/dunning_invoice_plan.py; made here for an invoice that has none,
        such as one written to the database by an import)."""
        Move = self.env["account.move"]
        query = Move._search(
            Move._get_dunning_open_domain()
            + [("commercial_partner_id", "in", partner_ids), ("company_id", "in", company_ids)],
            order="invoice_date_due, id",
        )
        names = [
            "id",
            "commercial_partner_id",
            "company_id",
            "currency_id",
            "name",
            "invoice_date",
            "invoice_date_due",
            "date",
            "amount_total",
            "amount_residual",
            "amount_residual_signed",
            None,  # the plan's status
            "dunning_excluded",
            None,  # the plan's next date
            None,  # the plan's checked date
            "dunning_level_id",
            "dunning_last_date",
            "dunning_count",
            "dunning_formal_notice_date",
            "dunning_formal_notice_ack_date",
            "dunning_is_penalty_invoice",
        ]
        select = query.select(
            *(SQL.identifier(query.table, name) if name else SQL("NULL") for name in names)
        )
        rows = self.env.execute_query(select)
        # The plans in a query of their own, through their unique index: joined
        # to the invoices, the planner would rather read them all at each batch.
        self.env["dunning.invoice.plan"].flush_model()
        ids = [row[0] for row in rows]
        plans = {
            move_id: (state, next_date, checked_date)
            for move_id, state, next_date, checked_date in self.env.execute_query(
                SQL(
                    "SELECT move_id, state, next_date, checked_date"
                    " FROM dunning_invoice_plan WHERE move_id = ANY(%s)",
                    ids,
                )
            )
        }
        missing = [move_id for move_id in ids if move_id not in plans]
        if missing and self.env["dunning.invoice.plan"].sudo()._dunning_create_missing(missing):
            return self._dunning_read_open_invoices(partner_ids, company_ids)
        invoices = []
        for row in rows:
            invoice = OpenInvoice(*row)
            invoice.state, invoice.next_date, invoice.checked_date = plans.get(
                invoice.id, ("none", None, None)
            )
            invoices.append(invoice)
        return invoices

    @api.model
    def _get_dunning_credit_lines_domain(self, partner_ids, company_ids):
        return [
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual", "<", 0),
            ("move_id.commercial_partner_id", "in", partner_ids),
            ("company_id", "in", company_ids),
        ]

    @api.model
    def _dunning_search_credit_lines(self, partner_ids, company_ids):
        """Receivable lines of these customers that lower what they owe: credit
        notes and payments not fully matched with an invoice."""
        return self.env["account.move.line"].search(
            self._get_dunning_credit_lines_domain(partner_ids, company_ids), order="date, id"
        )

    @api.model
    def _dunning_read_credit_lines(self, partner_ids, company_ids):
        """The same as _dunning_search_credit_lines, as CreditLine."""
        query = self.env["account.move.line"]._search(
            self._get_dunning_credit_lines_domain(partner_ids, company_ids), order="date, id"
        )
        line = query.table
        rows = self.env.execute_query(
            query.select(
                SQL.identifier(line, "id"),
                SQL.identifier(line, "move_id"),
                SQL(
                    "(SELECT commercial_partner_id FROM account_move WHERE id = %s)",
                    SQL.identifier(line, "move_id"),
                ),
                SQL.identifier(line, "company_id"),
                SQL.identifier(line, "currency_id"),
                SQL(
                    "COALESCE(NULLIF((SELECT name FROM account_move WHERE id = %s), ''), "
                    "NULLIF(%s, ''), '/')",
                    SQL.identifier(line, "move_id"),
                    SQL.identifier(line, "name"),
                ),
                SQL.identifier(line, "date"),
                SQL.identifier(line, "amount_currency"),
                SQL.identifier(line, "amount_residual_currency"),
                SQL.identifier(line, "amount_residual"),
                SQL(
                    "(SELECT move_type = 'entry' FROM account_move WHERE id = %s)",
                    SQL.identifier(line, "move_id"),
                ),
            )
        )
        return [CreditLine(*row) for row in rows]

    @api.model
    def _dunning_keys_reminded_on(self, partner_ids, day):
        """(customer, company, currency) triples already given a reminder that day."""
        groups = self._read_group(
            [("partner_id", "in", partner_ids), ("date", "=", day), ("state", "!=", "cancelled")],
            ["partner_id", "company_id", "currency_id"],
        )
        return {(partner.id, company.id, currency.id) for partner, company, currency in groups}

    @api.model
    def _dunning_previous_dates(self, partner_ids):
        groups = self._read_group(
            [("partner_id", "in", partner_ids), ("state", "=", "sent")],
            ["partner_id"],
            ["date:max"],
        )
        return {partner.id: date for partner, date in groups}

    # ------------------------------------------------------------------
    # Deciding
    # ------------------------------------------------------------------

    @api.model
    def _dunning_get_partner_skip_reason(self, partner, scenario):
        """Why this customer's invoices are not reminded at all, or False."""
        if not partner.active:
            return self.env._("Not reminded: the customer is archived.")
        if partner.dunning_excluded:
            return self.env._("Not reminded: the customer is excluded from reminders.")
        if not scenario:
            return self.env._(
                "Not reminded: no dunning scenario applies to this customer (none on the "
                "customer, its categories or the company)."
            )
        return False

    @api.model
    def _dunning_get_amount_skip_reason(
        self, targets, candidates, credit_lines, currency, minimum, today
    ):
        """Why nothing is asked of the customer although invoices reach a level:
        what the reminder would ask (the invoices reaching a level and the other
        overdue ones, less the credits and unmatched payments) is not positive,
        or below the scenario's minimum; else False.

        :param targets: ids of the invoices reaching a level
        :param candidates: the customer's open invoices (OpenInvoice)
        :param credit_lines: its credits (CreditLine)
        """
        overdue = sum(
            move.amount_residual
            for move in candidates
            if move.id in targets or (move.due and move.due < today)
        )
        credit = -sum(line.amount_residual_currency for line in credit_lines)
        net = overdue - credit
        if currency.compare_amounts(net, 0) <= 0:
            return self.env._(
                "Not reminded: the customer's credits and unmatched payments "
                "(%(credit)s) cover its overdue invoices (%(overdue)s).",
                credit=tools.format_amount(self.env, credit, currency),
                overdue=tools.format_amount(self.env, overdue, currency),
            )
        if currency.compare_amounts(net, minimum) < 0:
            return self.env._(
                "Not reminded: the net amount due (%(net)s) is below the scenario's "
                "minimum (%(minimum)s).",
                net=tools.format_amount(self.env, net, currency),
                minimum=tools.format_amount(self.env, minimum, currency),
            )
        return False

    @api.model
    def _dunning_level_delays(self):
        """{level id: delay in days} of every level, archived ones included."""
        self.env["dunning.level"].flush_model(["delay_days"])
        return dict(self.env.execute_query(SQL("SELECT id, delay_days FROM dunning_level")))

    @api.model
    def _dunning_generate(self, keys, today):
        """Create the reminders of the given (customer, company, currency) triples.

        Every examined invoice gets its next examination planned; one that is
        not reminded gets the reason on it (``dunning_skip_reason``), shown on
        the invoice and in the overdue list.

        :return: the reminders created
        """
        self.env.flush_all()
        partner_ids = sorted({key[0] for key in keys})
        company_ids = sorted({key[1] for key in keys})
        moves_by_key = defaultdict(list)
        open_by_customer = defaultdict(list)
        for move in self._dunning_read_open_invoices(partner_ids, company_ids):
            moves_by_key[(move.partner_id, move.company_id, move.currency_id)].append(move)
            open_by_customer[(move.partner_id, move.company_id)].append(move.id)
        credits_by_key = defaultdict(list)
        for line in self._dunning_read_credit_lines(partner_ids, company_ids):
            credits_by_key[(line.partner_id, line.company_id, line.currency_id)].append(line)

        partners = self.env["res.partner"].with_context(active_test=False).browse(partner_ids)
        # Records of one prefetch (a browse of one id would read it alone).
        partner_by_id = {partner.id: partner for partner in partners}
        companies = self.env["res.company"].browse(company_ids)
        scenario_by_company = {
            company.id: partners._dunning_get_effective_scenarios(company) for company in companies
        }
        previous_dates = self._dunning_previous_dates(partner_ids)
        reminded_today = self._dunning_keys_reminded_on(partner_ids, today)
        paid_late = self._dunning_get_paid_late_lines(partner_ids, companies)
        delays = self._dunning_level_delays()
        notice_days = {company.id: company.dunning_formal_notice_days for company in companies}
        plans_of_scenario = {}
        minimums = {}
        plans = {}  # move id -> (next date, next level id, skip reason, reminded)
        reminders = []
        for key in sorted(set(keys)):
            partner_id, company_id, currency_id = key
            partner = partner_by_id[partner_id]
            candidates = moves_by_key[key]
            examined = [
                m
                for m in candidates
                if m.state in ("none", "reminded")
                and not m.excluded
                and (
                    (m.next_date and m.next_date <= today)
                    or (not m.next_date and (not m.checked_date or m.checked_date < today))
                )
            ]
            scenario = scenario_by_company[company_id][partner_id]
            reason = self._dunning_get_partner_skip_reason(partner, scenario)
            if not reason and scenario.id not in plans_of_scenario:
                levels = scenario._get_sorted_levels()
                plans_of_scenario[scenario.id] = plan_levels(levels)
            if not reason and not plans_of_scenario[scenario.id]:
                reason = self.env._(
                    "Not reminded: the scenario %(scenario)s has no level.",
                    scenario=scenario.name,
                )
            if reason:
                plans.update((move.id, (None, None, reason, False)) for move in examined)
                continue
            if key in reminded_today:
                # At most one reminder a day for a customer and currency: what
                # reaches a level now waits for tomorrow's run.
                tomorrow = today + timedelta(days=1)
                plans.update((move.id, (tomorrow, None, None, False)) for move in examined)
                continue
            levels = plans_of_scenario[scenario.id]
            currency = self.env["res.currency"].browse(currency_id)
            rounding = currency.rounding
            if (scenario.id, currency_id, company_id) not in minimums:
                company = companies.browse(company_id)
                minimums[(scenario.id, currency_id, company_id)] = company.currency_id._convert(
                    scenario.min_amount, currency, company, today
                )
            min_amount = minimums[(scenario.id, currency_id, company_id)]
            targets, move_plans = {}, {}
            for move in examined:
                level, next_date, next_level = plan(
                    levels,
                    today,
                    move.due or move.invoice_date or today,
                    delays.get(move.level_id) if move.level_id else None,
                    move.last_date,
                    move.notice_date,
                    scenario.min_interval_days,
                    notice_days[company_id],
                )
                move_reason = None
                # (open invoices have something left to pay: without a minimum
                # nothing is below it)
                if (
                    level
                    and min_amount
                    and float_compare(move.amount_residual, min_amount, precision_rounding=rounding)
                    < 0
                ):
                    level, next_date, next_level = None, None, None
                    move_reason = self.env._(
                        "Not reminded: left to pay (%(amount)s) below the scenario's minimum "
                        "(%(minimum)s).",
                        amount=tools.format_amount(self.env, move.amount_residual, currency),
                        minimum=tools.format_amount(self.env, min_amount, currency),
                    )
                if level:
                    targets[move.id] = level
                move_plans[move.id] = (
                    next_date,
                    next_level.id if next_level else None,
                    move_reason,
                )
            reason = None
            if targets:
                reason = self._dunning_get_amount_skip_reason(
                    targets, candidates, credits_by_key[key], currency, min_amount, today
                )
                if reason:
                    targets = {}
            for move_id, (next_date, next_level_id, move_reason) in move_plans.items():
                plans[move_id] = (
                    next_date,
                    next_level_id,
                    reason or move_reason,
                    move_id in targets,
                )
            if targets:
                reminders.append(
                    self._prepare_reminder_vals(
                        partner,
                        scenario,
                        company_id,
                        today,
                        targets,
                        candidates,
                        credits_by_key[key],
                        previous_dates.get(partner_id),
                        paid_late.get(key, []) if scenario.debtor_type != "consumer" else [],
                    )
                )
        self._dunning_write_plans(plans, today)
        return self._dunning_insert_reminders(reminders, open_by_customer)

    # ------------------------------------------------------------------
    # Reminder and line values
    # ------------------------------------------------------------------

    @api.model
    def _prepare_reminder_vals(
        self,
        partner,
        scenario,
        company_id,
        today,
        targets,
        candidates,
        credit_lines,
        previous_date,
        extra_lines=(),
    ):
        """The values of a reminder and of its lines (``line_ids``: list of
        dicts), penalties apart.

        :param targets: {invoice id: level reached (dunning_plan.Level)} in the
            invoices' order
        :param candidates: the customer's open invoices (OpenInvoice), oldest due first
        :param credit_lines: its credits (CreditLine)
        :param extra_lines: more lines (values) to list, such as invoices paid late
        """
        top_level = max(targets.values(), key=lambda level: (level.sequence, level.delay_days))
        by_id = {move.id: move for move in candidates}
        lines = [
            self._prepare_reminder_line_vals(by_id[move_id], today, "level", level)
            for move_id, level in targets.items()
        ]
        lines += [
            self._prepare_reminder_line_vals(move, today, "overdue")
            for move in candidates
            if move.id not in targets and move.due and move.due < today
        ]
        lines += [self._prepare_reminder_credit_line_vals(line) for line in credit_lines]
        lines += [dict(line) for line in extra_lines]
        return {
            "partner_id": partner.id,
            "scenario_id": scenario.id,
            "level_id": top_level.id,
            "company_id": company_id,
            "currency_id": by_id[next(iter(targets))].currency_id,
            "previous_reminder_count": min(by_id[move_id].count or 0 for move_id in targets),
            "date": today,
            "user_id": (partner.dunning_responsible_id or partner.user_id).id or None,
            "previous_date": previous_date or None,
            "line_ids": lines,
        }

    @api.model
    def _prepare_reminder_line_vals(self, move, today, kind, level=None):
        """:param move: an OpenInvoice
        :param level: the level it reaches (dunning_plan.Level)"""
        return {
            "kind": kind,
            "move_id": move.id,
            "name": move.name,
            "date": move.invoice_date,
            "date_due": move.due,
            "days_overdue": max((today - move.due).days, 0) if move.due else 0,
            "level_id": level.id if level else None,
            "currency_id": move.currency_id,
            "amount_total": move.amount_total,
            "amount_residual": move.amount_residual,
            "amount_residual_company": move.amount_residual_signed,
            "penalty_invoice": move.penalty_invoice(),
        }

    @api.model
    def _prepare_reminder_credit_line_vals(self, line):
        """:param line: an account.move.line, or a CreditLine"""
        if isinstance(line, CreditLine):
            return {
                "kind": "credit",
                "move_id": line.move_id,
                "move_line_id": line.id,
                "name": line.name,
                "date": line.date,
                "currency_id": line.currency_id,
                "amount_total": line.amount_currency,
                "amount_residual": line.amount_residual_currency,
                "amount_residual_company": line.amount_residual,
                "is_payment": line.is_payment,
            }
        return {
            "kind": "credit",
            "move_id": line.move_id.id,
            "move_line_id": line.id,
            "name": line.move_id.name or line.name or "/",
            "date": line.date,
            "currency_id": line.currency_id.id,
            "amount_total": line.amount_currency,
            "amount_residual": line.amount_residual_currency,
            "amount_residual_company": line.amount_residual,
        }

    # ------------------------------------------------------------------
    # Writing
    # ------------------------------------------------------------------

    @api.model
    def _dunning_write_plans(self, plans, today):
        """Write what the run decided on the examined invoices' plans
        (models/dunning_invoice_plan.py: a narrow table, the invoices' own rows
        are not rewritten), in one statement per thousand invoices: checked
        today, the next examination, why not reminded; the reminder status of
        those reminded (a draft reminder now lists them: "To remind", as the
        plan's _compute_state says)."""
        if not plans:
            return
        # Only invoices "not reminded" or "reminded" are examined (neither paid,
        # paused nor in litigation, in this transaction's snapshot; a change made
        # meanwhile rewrites the plan's status, hence a serialization failure
        # here, and the batch is run again): those reminded are now "to remind".
        query = """
            UPDATE dunning_invoice_plan p
               SET checked_date = %s,
                   next_date = v.next_date,
                   next_level_id = v.next_level_id,
                   skip_reason = v.reason,
                   state = CASE WHEN v.reminded THEN 'to_remind' ELSE p.state END
              FROM (VALUES {values}) AS v(id, next_date, next_level_id, reason, reminded)
             WHERE p.move_id = v.id
        """
        head = [today]
        items = sorted(plans.items())
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            params = list(head)
            for move_id, (next_date, next_level_id, reason, reminded) in chunk:
                params += (move_id, next_date, next_level_id, reason, reminded)
            values = ", ".join(["(%s, %s::date, %s::int4, %s::varchar, %s)"] * len(chunk))
            self.env.cr.execute(query.format(values=values), params)
        # Whatever the ORM holds of the plans (and of the invoices' related
        # fields) is stale.
        self.env.invalidate_all()

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
    def _dunning_insert_reminders(self, vals_list, open_by_customer):
        """Create the reminders of a batch with their lines, by SQL: the names
        are drawn from the sequence in one query per company, the penalties and
        the totals computed here, and every stored column written in the
        INSERTs, so that the ORM recomputes nothing. No chatter note at
        creation: the reminder itself is the record (listed on each invoice's
        Reminders tab); the customer gets a note when it is sent.

        :param vals_list: values from _prepare_reminder_vals
        :param open_by_customer: {(customer, company): ids of its open invoices}
        :return: the reminders created
        """
        if not vals_list:
            return self.browse()
        self.check_access("create")
        self.env["dunning.reminder.line"].check_access("create")
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
        for vals in vals_list:
            lines_of.append(vals.pop("line_ids"))
            vals["name"] = preview_name or next(names[vals["company_id"]])
            vals["short_code"] = "".join(
                secrets.choice(SHORT_CODE_ALPHABET) for __ in range(SHORT_CODE_LENGTH)
            )
            if runs.get(vals["company_id"]):
                vals["run_id"] = runs[vals["company_id"]]
        self._dunning_compute_line_penalties(vals_list, lines_of, open_by_customer)
        currencies = self.env["res.currency"].browse(
            {vals["currency_id"] for vals in vals_list} | set(company_currency.values())
        )
        roundings = {currency.id: currency.rounding for currency in currencies}
        levels = self.env["dunning.level"].browse({vals["level_id"] for vals in vals_list})
        show_penalties = {level.id: level.show_penalties for level in levels}
        for vals, lines in zip(vals_list, lines_of, strict=True):
            vals.update(
                self._dunning_get_totals(vals, lines, company_currency, roundings, show_penalties)
            )
        reminder_ids = self._dunning_insert_rows(self, vals_list, REMINDER_COMPUTED)
        rows = []
        for reminder_id, vals, lines in zip(reminder_ids, vals_list, lines_of, strict=True):
            for line in lines:
                line.pop("penalty_invoice", None)
                line.pop("is_payment", None)
                line.update(
                    reminder_id=reminder_id,
                    company_id=vals["company_id"],
                    company_currency_id=company_currency[vals["company_id"]],
                    kind_sequence=KIND_SEQUENCE.get(line["kind"], 9),
                )
                rows.append(line)
        # What _compute_move_paid_date gives (set for the invoices paid late
        # listed for their penalties), one query for the batch.
        self.env["account.move"].flush_model(["payment_state", "dunning_paid_date"])
        paid_on = dict(
            self.env.execute_query(
                SQL(
                    """
                    SELECT id, dunning_paid_date
                      FROM account_move
                     WHERE id = ANY(%s) AND payment_state IN ('paid', 'in_payment')
                    """,
                    sorted({row["move_id"] for row in rows if row.get("move_id")}),
                )
            )
        )
        for row in rows:
            row["move_paid_date"] = paid_on.get(row.get("move_id"))
        Line = self.env["dunning.reminder.line"]
        self._dunning_insert_rows(
            Line,
            rows,
            {
                "company_id",
                "company_currency_id",
                "kind_sequence",
                "move_paid_date",
                *EMPTY_PENALTY,
            },
        )
        # What the ORM holds of the invoices, customers and reminders (and
        # computed from them, such as an invoice's reminders) is stale.
        self.env.invalidate_all()
        return self.browse(reminder_ids)

    @api.model
    def _dunning_compute_line_penalties(self, vals_list, lines_of, open_by_customer):
        """Set the penalties of the lines (what _compute_penalty of the lines
        gives, for all the lines of the batch at once)."""
        calculator = PenaltyCalculator(self.env["dunning.reminder.line"])
        debit_kinds = ("level", "overdue")
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
        partners = self.env["res.partner"].browse({vals["partner_id"] for vals in vals_list})
        langs = {partner.id: partner.lang for partner in partners}
        scenarios = self.env["dunning.scenario"].browse({vals["scenario_id"] for vals in vals_list})
        debtors = {scenario.id: scenario.debtor_type for scenario in scenarios}
        levels = self.env["dunning.level"].browse(
            {line["level_id"] for lines in lines_of for line in lines if line.get("level_id")}
        )
        notice_levels = {level.id for level in levels if level.is_formal_notice}
        for vals, lines in zip(vals_list, lines_of, strict=True):
            lang = langs[vals["partner_id"]] or self.env.lang
            debtor = debtors[vals["scenario_id"]]
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
                move_installments = installments.get(line["move_id"], [])
                if unmatched and unmatched[0] == line["move_id"]:
                    move_installments = penalty.allocate_payments(move_installments, unmatched[1])
                line.update(
                    calculator.values(
                        invoice,
                        vals["date"],
                        debtor,
                        lang,
                        move_installments,
                        invoiced=invoiced.get(line["move_id"], (0.0, 0.0)),
                        notice_level=line.get("level_id") in notice_levels,
                    )
                )
                line["penalty_note"] = line["penalty_note"] or None
                line["penalty_error_message"] = line["penalty_error_message"] or None

    @api.model
    def _dunning_get_totals(self, vals, lines, company_currency, roundings, show_penalties):
        """The reminder's stored totals from its lines: what _compute_amounts and
        _compute_penalty_amounts give, each amount rounded to its currency when
        set, as the ORM does, before the next one is derived from it.

        :param roundings: {currency id: rounding}
        :param show_penalties: {level id: whether it states the penalties}"""
        rounding = roundings[vals["currency_id"]]
        company_currency_id = company_currency[vals["company_id"]]
        company_rounding = roundings[company_currency_id]

        def amount(value):
            return float_round(value, precision_rounding=rounding) if value else 0.0

        def company_amount(value):
            return float_round(value, precision_rounding=company_rounding) if value else 0.0

        level_lines = [line for line in lines if line["kind"] == "level"]
        debit_lines = [line for line in lines if line["kind"] != "credit"]
        credit_lines = [line for line in lines if line["kind"] == "credit"]
        amount_overdue = amount(sum(line["amount_residual"] for line in debit_lines))
        amount_credit = amount(-sum(line["amount_residual"] for line in credit_lines))
        amount_net = amount(amount_overdue - amount_credit)
        due_dates = [line["date_due"] for line in debit_lines if line.get("date_due")]
        amount_penalty = amount(sum(line["penalty_amount_currency"] for line in debit_lines))
        amount_indemnity = company_amount(sum(line["indemnity_amount"] for line in debit_lines))
        total = amount_net + amount_penalty
        if vals["currency_id"] == company_currency_id:
            total += amount_indemnity
        return {
            "invoice_count": len(level_lines),
            "amount_reminded": amount(sum(line["amount_residual"] for line in level_lines)),
            "amount_overdue": amount_overdue,
            "amount_credit": amount_credit,
            "amount_net": amount_net,
            "amount_net_company": company_amount(
                sum(line["amount_residual_company"] for line in lines)
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
    def _dunning_insert_rows(self, model, rows, computed):
        """Insert records of ``model`` from their values, as create() would
        store them (defaults for what is not given, floats rounded to their
        digits), a thousand rows a statement.

        :param rows: list of dicts {field name: value as the column takes it}:
            None for an empty value (not False, booleans apart), monetary
            amounts already rounded to their currency (as the ORM rounds them)
        :param computed: the stored computed fields the rows give; any other
            stored computed field is left to the ORM (computed after the INSERT)
        :return: the ids inserted, in the rows' order
        """
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
        digits = {}
        for index, name in enumerate(names):
            field = model._fields[name]
            if field.type == "float" and field.get_digits(self.env):
                digits[index] = field.get_digits(self.env)[1]
        values_of = operator.itemgetter(*names)
        uid, now = self.env.uid, self.env.cr.now()
        placeholders = "(" + ", ".join(["%s"] * (len(names) + 4)) + ")"
        query = (
            f'INSERT INTO "{model._table}" ('
            + ", ".join(f'"{name}"' for name in names)
            + ", create_uid, create_date, write_uid, write_date) VALUES "
        )
        ids = []
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            params = []
            for row in chunk:
                values = values_of(template | row)
                if digits:
                    values = list(values)
                    for index, precision in digits.items():
                        values[index] = float_round(
                            values[index] or 0.0, precision_digits=precision
                        )
                params.extend(values)
                params += (uid, now, uid, now)
            self.env.cr.execute(
                query + ", ".join([placeholders] * len(chunk)) + " RETURNING id", params
            )
            ids += [row[0] for row in self.env.cr.fetchall()]
        if to_compute:
            records = model.browse(ids)
            for field in to_compute:
                self.env.add_to_compute(field, records)
        return ids
