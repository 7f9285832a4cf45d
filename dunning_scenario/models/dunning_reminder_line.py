# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import ast
from dataclasses import dataclass
from datetime import date

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round
from odoo.tools.misc import format_date, formatLang, get_lang

from odoo.addons.base.models.res_lang import intersperse

from . import dunning_penalty as penalty
from .dunning_float import Rounding
from .dunning_interest_rate import MissingRateError
from .dunning_reminder import is_proof_write_allowed, proof_write_allowed

# The fields computed together by _compute_penalty.
PENALTY_FIELDS = (
    "penalty_amount",
    "penalty_amount_currency",
    "indemnity_amount",
    "penalty_rate",
    "penalty_note",
    "penalty_error",
    "penalty_error_message",
    "penalty_deducted_currency",
)


EMPTY_PENALTY = {
    "penalty_amount": 0.0,
    "penalty_amount_currency": 0.0,
    "indemnity_amount": 0.0,
    "penalty_rate": 0.0,
    "penalty_note": False,
    "penalty_error": False,
    "penalty_error_message": False,
    "penalty_deducted_currency": 0.0,
}


@dataclass(slots=True)
class PenaltyInvoice:
    """What the penalties of an invoice depend on, as plain values (the daily
    run reads them for thousands of invoices in one query)."""

    id: int
    company_id: int
    currency_id: int
    partner_id: int  # the commercial partner
    date: date  # invoice date, else accounting date
    is_penalty_invoice: bool
    notice_date: date | None
    notice_ack_date: date | None


class PenaltyCalculator:
    """Computes the penalties of many invoices with what they share looked up
    once: the rates, the flat indemnity, currency roundings and conversions,
    the customers' contractual rates, and the texts of the basis (one
    environment per language, dates and rates formatted once, amounts with the
    language's separators read once).

    :param model: any recordset of the addon (its environment is used)
    :param rate_of: function (rate type, day) -> rate, from _get_rate_lookup
        (read here when not given)
    """

    def __init__(self, model, rate_of=None):
        self.model = model.browse()
        self.env = model.env
        self.rate_of = self._memoized(
            rate_of or self.env["dunning.interest.rate"]._get_rate_lookup()
        )
        self._lang_envs = {}
        self._missing_rates = {}
        self._dates = {}
        self._rates = {}
        self._amount_formats = {}
        self._roundings = {}
        self._conversions = {}
        self._indemnities = {}
        self._contracts = {}

    @staticmethod
    def _memoized(rate_of):
        """``rate_of`` answering each (rate type, day) once (a missing rate
        raises a new MissingRateError each time, as ``rate_of`` does)."""
        found = {}

        def lookup(rate_type, day):
            key = (rate_type, day)
            if key not in found:
                try:
                    found[key] = (rate_of(rate_type, day), None)
                except MissingRateError as error:
                    found[key] = (None, error)
            rate, error = found[key]
            if error is not None:
                raise MissingRateError(error.args[0], error.rate_type, error.day)
            return rate

        return lookup

    # -- plain values ---------------------------------------------------

    @staticmethod
    def invoice_of(move):
        return PenaltyInvoice(
            move.id,
            move.company_id.id,
            move.currency_id.id,
            move.commercial_partner_id.id,
            move.invoice_date or move.date,
            move.dunning_is_penalty_invoice,
            move.dunning_formal_notice_date or None,
            move.dunning_formal_notice_ack_date or None,
        )

    def lang_env(self, lang):
        env = self._lang_envs.get(lang)
        if env is None:
            env = self._lang_envs[lang] = self.model.with_context(lang=lang).env
        return env

    def rounding(self, currency_id):
        """The Rounding of the currency."""
        rounding = self._roundings.get(currency_id)
        if rounding is None:
            rounding = self._roundings[currency_id] = Rounding(
                self.env["res.currency"].browse(currency_id).rounding
            )
        return rounding

    def round(self, currency_id, amount):
        return self.rounding(currency_id).round(amount)

    def convert(self, amount, currency_id, company_id, day):
        """``amount`` converted to the company's currency and rounded, as
        res.currency._convert does."""
        key = (currency_id, company_id, day)
        found = self._conversions.get(key)
        if found is None:
            company = self.env["res.company"].browse(company_id)
            currency = self.env["res.currency"].browse(currency_id)
            found = self._conversions[key] = (
                company.currency_id.id,
                currency._get_conversion_rate(currency, company.currency_id, company, day),
            )
        to_currency_id, rate = found
        if not amount:
            return 0.0
        return self.round(to_currency_id, amount * rate)

    def indemnity(self, company_id, day):
        key = (company_id, day)
        if key not in self._indemnities:
            company = self.env["res.company"].browse(company_id)
            self._indemnities[key] = company._dunning_get_indemnity_amount(day)
        return self._indemnities[key]

    def prefetch_contracts(self, company_id, partner_ids):
        """Read at once whether these customers may have a contractual rate
        (one query of the rates for the company, not a record per customer)."""
        company = self.env["res.company"].browse(company_id)
        if company.dunning_penalty_rate_mode == "contract":
            self._contracts.update(((company_id, partner_id), True) for partner_id in partner_ids)
            return
        Partner = self.env["res.partner"].with_company(company).sudo()
        rates = dict(
            self.env.execute_query(
                SQL(
                    "SELECT id, %s FROM res_partner WHERE id = ANY(%s)",
                    Partner._field_to_sql("res_partner", "dunning_contract_rate"),
                    list(partner_ids),
                )
            )
        )
        for partner_id in partner_ids:
            self._contracts[(company_id, partner_id)] = bool(rates.get(partner_id))

    def contract_rate(self, company_id, partner_id, day):
        """res.company._dunning_get_contract_rate, asked only when the customer
        or the company has a contractual rate at all."""
        key = (company_id, partner_id)
        if key not in self._contracts:
            self.prefetch_contracts(company_id, [partner_id])
        if not self._contracts[key]:
            return None
        company = self.env["res.company"].browse(company_id)
        return company._dunning_get_contract_rate(self.env["res.partner"].browse(partner_id), day)

    # -- texts ----------------------------------------------------------

    def format_date(self, env, day):
        key = (env.lang, day)
        text = self._dates.get(key)
        if text is None:
            text = self._dates[key] = format_date(env, day)
        return text

    def format_rate(self, env, rate):
        key = (env.lang, rate)
        text = self._rates.get(key)
        if text is None:
            text = self._rates[key] = formatLang(env, rate, digits=2)
        return text

    def format_amount(self, env, amount, currency_id):
        """formatLang(env, amount, currency_obj=currency), with the language's
        and the currency's formats read once."""
        key = (env.lang, currency_id)
        found = self._amount_formats.get(key)
        if found is None:
            currency = env["res.currency"].browse(currency_id)
            lang = get_lang(env)
            found = self._amount_formats[key] = (
                currency.decimal_places,
                f"%.{currency.decimal_places}f",
                ast.literal_eval(lang.grouping),
                lang.thousands_sep or "",
                lang.decimal_point,
                currency.symbol,
                currency.position == "after",
            )
        digits, spec, grouping, thousands_sep, decimal_point, symbol, after = found
        rounded = float_round(amount / 1, precision_digits=digits, rounding_method="HALF-EVEN")
        parts = (spec % rounded).split(".")
        parts[0] = intersperse(parts[0], grouping, thousands_sep)[0]
        text = decimal_point.join(parts)
        if not symbol:
            return text
        return f"{text}\N{NO-BREAK SPACE}{symbol}" if after else f"{symbol}\N{NO-BREAK SPACE}{text}"

    def piece_text(self, env, piece, currency_id, lang=None):
        values = {
            "rate": self.format_rate(env, piece.rate),
            "base": self.format_amount(env, piece.base, currency_id),
            "first": self.format_date(env, piece.first_day),
            "last": self.format_date(env, piece.last_day),
            "days": piece.days,
        }
        if piece.floor_period:
            values["period"] = penalty.half_year_label(piece.floor_period, lang or env.lang)
            if piece.days == 1:
                return env._(
                    "%(rate)s %% a year (legal floor of %(period)s: 3 times the legal interest "
                    "rate, above the contractual rate) on %(base)s on %(first)s (1 day)",
                    **values,
                )
            return env._(
                "%(rate)s %% a year (legal floor of %(period)s: 3 times the legal interest "
                "rate, above the contractual rate) on %(base)s from %(first)s to %(last)s "
                "(%(days)s days)",
                **values,
            )
        if piece.days == 1:
            return env._("%(rate)s %% a year on %(base)s on %(first)s (1 day)", **values)
        return env._(
            "%(rate)s %% a year on %(base)s from %(first)s to %(last)s (%(days)s days)", **values
        )

    # -- the penalties --------------------------------------------------

    @staticmethod
    def late_installments(installments, end):
        """The installments late on the day ``end``, each as (due date, amount,
        payments, its pieces of constant base from its due date)."""
        late = []
        for due, amount, payments in installments:
            pieces = penalty.late_pieces(due, end, amount, payments)
            if pieces:
                late.append((due, amount, payments, pieces))
        return late

    def values(
        self, invoice, end, debtor, lang, installments, invoiced=(0.0, 0.0), notice_level=False
    ):
        """Penalties owed for ``invoice`` (a PenaltyInvoice) on the day ``end``.

        * business: from the day after each due date, ECB rate in force on the
          first day of each half-year + 10 points; or the contractual rate agreed
          for the invoice (customer's, else company's, from their start date),
          raised to the legal floor (3 x the legal interest rate) of each
          half-year where it is below; and the flat indemnity;
        * public buyer: ECB rate in force on the first day of the half-year in
          which lateness started + 8 points, for the whole period, and the flat
          indemnity;
        * consumer: legal rate (other cases) of each half-year, only from the
          day after the formal notice reached the customer (its acknowledgement
          date, else the day it was sent); no indemnity.

        A penalty invoice bears neither interest nor indemnity (D441-5: one
        indemnity per late commercial invoice; Code civil 1343-2: no interest on
        interest without a contract or a judge).

        Interest is computed in the invoice's currency piece by piece (each
        payment lowers the base, see dunning_penalty), rounded to the cent for
        the invoice, less what posted penalty invoices already invoiced
        (``invoiced``), then converted to the company's currency at ``end``. The
        flat indemnity is set in EUR by law (see res.company), stated unless
        already invoiced.

        :param lang: the customer's language (texts of the basis)
        :param installments: [(due date, amount, [(payment date, amount)])]
        :param invoiced: (interest in the invoice's currency, indemnity) invoiced
        :return: values of PENALTY_FIELDS
        """
        rate_of = self.rate_of
        env = self.lang_env(lang)
        vals = dict(EMPTY_PENALTY)
        if invoice.is_penalty_invoice:
            vals["penalty_note"] = env._(
                "Invoice of late-payment penalties: it bears no interest and no flat "
                "indemnity of its own."
            )
            return vals
        late = self.late_installments(installments, end)
        if not late:
            return vals
        interest_done, indemnity_done = invoiced
        if debtor in ("business", "public") and not indemnity_done:
            # Owed from the first day late, so stated on every reminder of the
            # invoice until it is invoiced, once per invoice.
            vals["indemnity_amount"] = self.indemnity(invoice.company_id, end)
        try:
            if debtor == "consumer":
                notice = invoice.notice_ack_date or invoice.notice_date
                if not notice or notice >= end:
                    if notice_level:
                        vals["penalty_note"] = env._("Legal interest runs from this formal notice.")
                    else:
                        vals["penalty_note"] = env._("No legal interest before a formal notice.")
                    return vals
                pieces = []
                for due, amount, payments, __ in late:
                    pieces += penalty.with_rates(
                        penalty.split_half_years(
                            penalty.late_pieces(max(due, notice), end, amount, payments)
                        ),
                        lambda p: rate_of("legal_other", penalty.half_year_start(p.first_day)),
                    )
            elif debtor == "public":
                pieces = []
                for due, __, __, due_pieces in late:
                    first_late_day = due + penalty.ONE_DAY
                    rate = (
                        rate_of("ecb", penalty.half_year_start(first_late_day))
                        + penalty.PUBLIC_ECB_MARGIN
                    )
                    pieces += penalty.with_rates(due_pieces, lambda p, r=rate: r)
            else:
                contract = self.contract_rate(invoice.company_id, invoice.partner_id, invoice.date)
                pieces = []
                for __, __, __, due_pieces in late:
                    split = penalty.split_half_years(due_pieces)
                    if contract is None:
                        pieces += penalty.with_rates(
                            split,
                            lambda p: rate_of("ecb", penalty.half_year_start(p.first_day))
                            + penalty.BUSINESS_ECB_MARGIN,
                        )
                    else:
                        pieces += penalty.with_contract_rate(
                            split,
                            contract,
                            lambda p: round(
                                3 * rate_of("legal_other", penalty.half_year_start(p.first_day)), 2
                            ),
                        )
        except MissingRateError as error:
            key = (env.lang, debtor, error.rate_type, error.period_start)
            if key not in self._missing_rates:
                self._missing_rates[key] = self.model._dunning_get_missing_rate_values(
                    env, error, debtor
                )
            vals.update(self._missing_rates[key])
            return vals
        pieces = penalty.merge_pieces(pieces)
        if not pieces:
            return vals
        currency_id = invoice.currency_id
        interest_done = min(interest_done, self.round(currency_id, penalty.total_interest(pieces)))
        amount = self.round(currency_id, penalty.total_interest(pieces) - interest_done)
        vals["penalty_deducted_currency"] = interest_done
        vals["penalty_amount_currency"] = amount
        vals["penalty_amount"] = self.convert(amount, currency_id, invoice.company_id, end)
        vals["penalty_rate"] = pieces[-1].rate
        note = "; ".join(self.piece_text(env, piece, currency_id, lang) for piece in pieces)
        if interest_done:
            note = env._(
                "%(basis)s; less %(amount)s already invoiced",
                basis=note,
                amount=self.format_amount(env, interest_done, currency_id),
            )
        vals["penalty_note"] = note
        return vals


class DunningReminderLine(models.Model):
    """One invoice (or credit) listed on a reminder.

    A plain model on purpose: no chatter, no followers, so that a run creating
    tens of thousands of lines stays cheap.
    """

    _name = "dunning.reminder.line"
    _description = "Dunning Reminder Line"
    _order = "reminder_id, kind_sequence, date_due, id"

    reminder_id = fields.Many2one("dunning.reminder", required=True, index=True, ondelete="cascade")
    # Stored computes are precomputed: a run creating tens of thousands of lines
    # writes them in the INSERT, not in UPDATEs after it.
    company_id = fields.Many2one(
        related="reminder_id.company_id", store=True, index=True, precompute=True
    )
    kind = fields.Selection(
        [
            ("level", "Level reached"),
            ("overdue", "Also outstanding"),
            ("credit", "Credit"),
        ],
        required=True,
        default="level",
        help="Reminded: the invoice reaches a level today. Also outstanding: another "
        "overdue invoice of the customer. Credit: a credit note or payment not yet "
        "matched, which lowers what the customer really owes.",
    )
    kind_sequence = fields.Integer(compute="_compute_kind_sequence", store=True, precompute=True)
    move_id = fields.Many2one("account.move", string="Document", index=True, ondelete="restrict")
    # For the effectiveness report, which reads it here instead of joining every
    # invoice: the day the invoice got paid in full, while it stays paid.
    move_paid_date = fields.Date(
        string="Document Paid On", compute="_compute_move_paid_date", store=True, precompute=True
    )
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", ondelete="set null")
    name = fields.Char(string="Reference", required=True)
    date = fields.Date(string="Document Date")
    date_due = fields.Date(string="Due Date")
    days_overdue = fields.Integer()
    level_id = fields.Many2one("dunning.level", string="Level", ondelete="restrict")
    currency_id = fields.Many2one("res.currency", required=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", store=True, string="Company Currency"
    )
    amount_total = fields.Monetary(currency_field="currency_id")
    amount_residual = fields.Monetary(
        string="Left to Pay",
        currency_field="currency_id",
        help="Amount left to pay on the reminder's date; negative for credits.",
    )
    amount_residual_company = fields.Monetary(
        string="Left to Pay (Company Currency)", currency_field="company_currency_id"
    )
    # Late-payment penalties (French law), frozen once the reminder is sent.
    penalty_amount = fields.Monetary(
        string="Penalties",
        currency_field="company_currency_id",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="Late-payment interest owed on this invoice on the reminder's date "
        "(company currency).",
    )
    penalty_amount_currency = fields.Monetary(
        string="Penalties (Invoice Currency)",
        currency_field="currency_id",
        compute="_compute_penalty",
        store=True,
        precompute=True,
    )
    indemnity_amount = fields.Monetary(
        string="Flat Indemnity",
        currency_field="company_currency_id",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="Flat indemnity for recovery costs owed because this invoice is paid late "
        "(business and public debtors).",
    )
    penalty_rate = fields.Float(
        string="Penalty Rate (%)",
        digits=(16, 2),
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="Annual rate used; the last one when the late period spans several rates.",
    )
    penalty_note = fields.Char(
        string="Penalty Basis",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="How the penalties were computed, written in the customer's language.",
    )
    penalty_error = fields.Boolean(
        string="Penalties Not Computed",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="An interest rate needed for this invoice is missing: see the basis.",
    )
    penalty_deducted_currency = fields.Monetary(
        string="Interest Already Invoiced",
        currency_field="currency_id",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="Interest of this invoice already on posted penalty invoices, left out of "
        "the penalties claimed here (the penalty invoice is claimed for itself).",
    )
    penalty_error_message = fields.Char(
        string="Why Not Computed",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="Which rate to enter for the penalties to be computed (for the accountant: "
        "customer documents state the legal basis only).",
    )
    penalty_invoiced_amount = fields.Monetary(
        string="Interest Invoiced",
        currency_field="company_currency_id",
        readonly=True,
        copy=False,
        help="Part of the penalties put on the reminder's penalty invoice.",
    )
    indemnity_invoiced_amount = fields.Monetary(
        string="Indemnity Invoiced",
        currency_field="company_currency_id",
        readonly=True,
        copy=False,
    )

    @api.depends("move_id.payment_state", "move_id.dunning_paid_date")
    def _compute_move_paid_date(self):
        for line in self:
            move = line.move_id
            paid = move.payment_state in ("paid", "in_payment")
            line.move_paid_date = move.dunning_paid_date if paid else False

    @api.depends("kind")
    def _compute_kind_sequence(self):
        order = {"level": 1, "overdue": 2, "credit": 3}
        for line in self:
            line.kind_sequence = order.get(line.kind, 9)

    # ------------------------------------------------------------------
    # Late-payment penalties
    # ------------------------------------------------------------------

    # A sent reminder is the record of what was claimed: its lines keep their
    # penalties (the compute leaves them untouched, and the reminder finishes
    # pending computations just before it becomes sent, see
    # _dunning_flush_penalties). Hence no dependency on the scenario, the
    # company's settings or the invoice's payments either. A draft reminder is
    # recomputed when its date or amounts are refreshed before sending, and
    # when rates, settings or formal-notice dates change
    # (_dunning_recompute_draft_penalties).
    # The other lines of the reminder count too: a payment not matched (a credit
    # line) may pay the customer's single open invoice (_dunning_get_unmatched_payments).
    @api.depends(
        "reminder_id.date",
        "move_id",
        "kind",
        "level_id",
        "amount_residual",
        "reminder_id.line_ids.amount_residual",
    )
    def _compute_penalty(self):
        frozen = self.filtered(lambda line: line.id and line.reminder_id.state == "sent")
        empty = self._dunning_empty_penalty()
        lines = (self - frozen).filtered(
            lambda line: line.kind != "credit"
            and line.move_id.move_type == "out_invoice"
            and line.reminder_id.date
        )
        for line in self - frozen - lines:
            line.update(empty)
        if not lines:
            return
        calculator = PenaltyCalculator(self)
        installments = lines.move_id._dunning_get_installments()
        # Posted penalty invoices are open invoices of their own on the reminder:
        # what they invoiced is not claimed a second time on the late invoice.
        invoiced = lines.move_id._dunning_get_invoiced_penalties(posted_only=True)
        unmatched = lines.reminder_id._dunning_get_unmatched_payments()
        for line in lines:
            move_installments = installments.get(line.move_id.id, [])
            target, payments = unmatched.get(line.reminder_id.id, (False, []))
            if target == line.move_id.id:
                move_installments = penalty.allocate_payments(move_installments, payments)
            line.update(
                line._dunning_compute_penalty(
                    calculator, move_installments, invoiced.get(line.move_id.id, (0.0, 0.0))
                )
            )

    @api.model
    def _dunning_empty_penalty(self):
        return dict(EMPTY_PENALTY)

    def _dunning_compute_penalty(self, rate_of, installments, invoiced=(0.0, 0.0)):
        """Penalties of this invoice line on the reminder's date (see
        _dunning_get_penalty_values).

        :param rate_of: a PenaltyCalculator, or a rate lookup (_get_rate_lookup)
        """
        self.ensure_one()
        calculator = (
            rate_of if isinstance(rate_of, PenaltyCalculator) else PenaltyCalculator(self, rate_of)
        )
        reminder = self.reminder_id
        return calculator.values(
            calculator.invoice_of(self.move_id),
            reminder.date,
            reminder.scenario_id.debtor_type,
            reminder.partner_id.lang or self.env.lang,
            installments,
            invoiced=invoiced,
            notice_level=self.level_id.is_formal_notice,
        )

    @api.model
    def _dunning_get_penalty_values(
        self,
        move,
        end,
        debtor,
        lang,
        rate_of,
        installments,
        invoiced=(0.0, 0.0),
        notice_level=False,
    ):
        """Penalties owed for the invoice ``move`` on the day ``end`` (see
        PenaltyCalculator.values).

        :param rate_of: function (rate type, day) -> rate, from _get_rate_lookup
        :param installments: [(due date, amount, [(payment date, amount)])]
        :param invoiced: (interest in the invoice's currency, indemnity) invoiced
        :return: values of PENALTY_FIELDS
        """
        calculator = PenaltyCalculator(self, rate_of)
        return calculator.values(
            calculator.invoice_of(move),
            end,
            debtor,
            lang,
            installments,
            invoiced=invoiced,
            notice_level=notice_level,
        )

    @api.model
    def _dunning_get_missing_rate_values(self, env, error, debtor):
        """A missing rate: the accountant is told which one to enter (in the UI);
        the customer is told the legal basis, never a made-up amount nor an
        internal word."""
        labels = dict(
            self.env["dunning.interest.rate"]._fields["rate_type"]._description_selection(self.env)
        )
        customer_period = penalty.half_year_label(error.period_start, env.lang)
        if debtor == "consumer":
            note = env._(
                "Interest at the legal rate is due from the formal notice (French Civil Code, "
                "article 1231-6); its amount for %(period)s will be stated once the legal rate "
                "of that half-year is published.",
                period=customer_period,
            )
        elif debtor == "public":
            note = env._(
                "Moratory interest is due from the day after the payment deadline (French "
                "Public Procurement Code, article L2192-13); its amount for %(period)s will be "
                "stated once the reference rate of that half-year is published.",
                period=customer_period,
            )
        else:
            note = env._(
                "Late-payment penalties are due from the day after the due date (French "
                "Commercial Code, article L441-10); their amount for %(period)s will be stated "
                "once the reference rate of that half-year is published.",
                period=customer_period,
            )
        return {
            "penalty_error": True,
            "penalty_note": note,
            "penalty_error_message": self.env._(
                "Not computed: rate for %(period)s missing (%(rate)s)",
                period=penalty.half_year_label(error.period_start, self.env.lang),
                rate=labels[error.rate_type],
            ),
        }

    @api.model
    def _dunning_recompute_draft_penalties(self, companies=None, moves=None):
        """Recompute the penalties of the reminders still to send (rates,
        settings or formal-notice dates changed); sent reminders keep what they
        claimed."""
        domain = [("reminder_id.state", "=", "draft"), ("kind", "!=", "credit")]
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        if moves is not None:
            domain.append(("move_id", "in", moves.ids))
        lines = self.sudo().search(domain)
        for fname in PENALTY_FIELDS:
            self.env.add_to_compute(self._fields[fname], lines)
        # The reminders' totals follow.
        lines.modified(PENALTY_FIELDS)
        self.env["dunning.paid.late"]._dunning_recompute_open(companies, moves)

    def _dunning_flush_penalties(self):
        """Finish the pending penalty computations of these lines now, e.g. before
        their reminder is sent and its lines become final."""
        self.flush_recordset(list(PENALTY_FIELDS))

    # ------------------------------------------------------------------
    # Sent reminders are the proof of what the customer received
    # ------------------------------------------------------------------

    def _check_reminder_not_sent(self, reminders=None):
        """Refuse to change the lines of sent reminders, or to put lines on one
        (``reminders``: the reminders lines are created on or moved to). Only
        server code writing through ``_dunning_write_proof`` may."""
        if is_proof_write_allowed():
            return
        reminders = self.reminder_id | (reminders or self.env["dunning.reminder"])
        if any(reminder.state == "sent" for reminder in reminders):
            raise UserError(
                self.env._(
                    "The lines of a sent reminder are the record of what the customer "
                    "received: none can be added, changed, moved or deleted."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self.browse()._check_reminder_not_sent(
            self.env["dunning.reminder"].browse(
                {vals["reminder_id"] for vals in vals_list if vals.get("reminder_id")}
            )
        )
        return super().create(vals_list)

    def write(self, vals):
        self._check_reminder_not_sent(self.env["dunning.reminder"].browse(vals.get("reminder_id")))
        return super().write(vals)

    def _dunning_write_proof(self, vals):
        """Write ``vals`` even on the lines of sent reminders (bookkeeping such
        as the penalties invoiced): for server code only."""
        with proof_write_allowed():
            return self.write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        self._check_reminder_not_sent()
