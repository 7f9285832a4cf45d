# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The late-payment penalties of many invoices at once (PenaltyCalculator),
from plain values: what dunning.reminder.line's _compute_penalty gives for a
line, for the daily run's tens of thousands of lines as for one."""

import ast
from dataclasses import dataclass
from datetime import date

from odoo.tools import SQL, float_round
from odoo.tools.misc import format_date, formatLang, get_lang

from odoo.addons.base.models.res_lang import intersperse

from . import dunning_penalty as penalty
from .dunning_float import Rounding
from .dunning_interest_rate import MissingRateError

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
