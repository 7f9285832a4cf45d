# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import formatLang

from .dunning_penalty import half_year_end, half_year_label, half_year_start

RATE_TYPES = [
    ("ecb", "ECB main refinancing rate"),
    ("legal_other", "Legal rate (other cases)"),
    ("legal_individual", "Legal rate (individual creditors)"),
]


class MissingRateError(UserError):
    """No rate of ``rate_type`` covers ``day``; the message says which period to enter."""

    def __init__(self, message, rate_type, day):
        super().__init__(message)
        self.rate_type = rate_type
        self.day = day
        self.period_start = half_year_start(day)


class DunningInterestRate(models.Model):
    """A published rate and the half-year(s) it applies to.

    The ECB rate stored for a half-year is the main refinancing rate in force
    on its first day (1 January or 1 July), which is the one the late-payment
    law uses for the whole half-year; legal interest rates are published per
    half-year. Nothing in Python knows a rate: every computation reads these
    records, and a missing period is reported, never guessed.
    """

    _name = "dunning.interest.rate"
    _description = "Late-Payment Interest Rate"
    _order = "date_from desc, rate_type"

    rate_type = fields.Selection(RATE_TYPES, string="Rate", required=True, index=True)
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: half_year_start(fields.Date.context_today(self)),
        help="First day of a half-year: 1 January or 1 July.",
    )
    date_to = fields.Date(
        string="To",
        required=True,
        default=lambda self: half_year_end(fields.Date.context_today(self)),
        help="Last day of a half-year: 30 June or 31 December.",
    )
    rate = fields.Float(
        string="Rate (%)", digits=(16, 2), required=True, help="Annual rate, in percent."
    )
    period = fields.Char(compute="_compute_period")
    note = fields.Char(help="Source of the rate (e.g. the official journal reference).")

    _sql_constraints = [
        ("date_order", "CHECK(date_from <= date_to)", "A rate period cannot end before it starts."),
        ("rate_positive", "CHECK(rate >= 0)", "A rate cannot be negative."),
    ]

    @api.depends_context("lang")
    @api.depends("date_from", "date_to")
    def _compute_period(self):
        lang = self.env.lang
        for record in self:
            if not (record.date_from and record.date_to):
                record.period = False
            elif half_year_start(record.date_to) == record.date_from:
                record.period = half_year_label(record.date_from, lang)
            else:
                record.period = (
                    f"{half_year_label(record.date_from, lang)} - "
                    f"{half_year_label(record.date_to, lang)}"
                )

    @api.depends("rate_type", "period", "rate")
    def _compute_display_name(self):
        labels = dict(self._fields["rate_type"]._description_selection(self.env))
        for record in self:
            record.display_name = self.env._(
                "%(type)s %(period)s: %(rate)s %%",
                type=labels.get(record.rate_type, ""),
                period=record.period or "",
                rate=formatLang(self.env, record.rate, digits=2),
            )

    @api.onchange("date_from")
    def _onchange_date_from(self):
        if self.date_from:
            self.date_to = half_year_end(self.date_from)

    @api.constrains("date_from", "date_to")
    def _check_half_years(self):
        for record in self:
            if record.date_from != half_year_start(
                record.date_from
            ) or record.date_to != half_year_end(record.date_to):
                raise ValidationError(
                    self.env._(
                        "Rates apply to whole half-years: a period starts on 1 January or "
                        "1 July and ends on 30 June or 31 December (%(rate)s).",
                        rate=record.display_name,
                    )
                )

    @api.constrains("rate_type", "date_from", "date_to")
    def _check_overlap(self):
        for record in self:
            other = self.search(
                [
                    ("id", "!=", record.id),
                    ("rate_type", "=", record.rate_type),
                    ("date_from", "<=", record.date_to),
                    ("date_to", ">=", record.date_from),
                ],
                limit=1,
            )
            if other:
                raise ValidationError(
                    self.env._(
                        "%(rate)s overlaps %(other)s: a period can only have one rate of "
                        "each kind.",
                        rate=record.display_name,
                        other=other.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # Reading the rates
    # ------------------------------------------------------------------

    @api.model
    def _get_rate(self, rate_type, day):
        """The annual rate (percent) of ``rate_type`` in force on ``day``.

        :raise MissingRateError: no rate covers ``day``; the message names the period
        """
        return self._get_rate_lookup()(rate_type, day)

    @api.model
    def _get_rate_lookup(self):
        """A function (rate_type, day) -> rate reading all the rates once, for
        computations over many invoices. It raises MissingRateError like
        ``_get_rate``."""
        periods = {}
        for record in self.sudo().search_fetch([], ["rate_type", "date_from", "date_to", "rate"]):
            periods.setdefault(record.rate_type, []).append(
                (record.date_from, record.date_to, record.rate)
            )

        def lookup(rate_type, day):
            for date_from, date_to, rate in periods.get(rate_type, ()):
                if date_from <= day <= date_to:
                    return rate
            raise MissingRateError(self._get_missing_rate_message(rate_type, day), rate_type, day)

        return lookup

    @api.model
    def _get_latest_rate(self, rate_type, day):
        """The rate of ``rate_type`` of the latest period starting on or before
        ``day``, for a check that cannot wait for the current period's rate.

        :return: (rate, first day of its period), or (None, None) if there is none
        """
        record = self.sudo().search(
            [("rate_type", "=", rate_type), ("date_from", "<=", day)],
            order="date_from desc",
            limit=1,
        )
        if not record:
            return None, None
        return record.rate, record.date_from

    @api.model
    def _get_missing_rate_message(self, rate_type, day):
        period = half_year_label(day, self.env.lang)
        start = fields.Date.to_string(half_year_start(day))
        if rate_type == "ecb":
            return self.env._(
                "No ECB main refinancing rate for %(period)s (from %(date)s): enter it in "
                "Accounting > Configuration > Interest Rates.",
                period=period,
                date=start,
            )
        if rate_type == "legal_other":
            return self.env._(
                "No legal interest rate (other cases) for %(period)s (from %(date)s): enter it "
                "in Accounting > Configuration > Interest Rates.",
                period=period,
                date=start,
            )
        return self.env._(
            "No legal interest rate (individual creditors) for %(period)s (from %(date)s): "
            "enter it in Accounting > Configuration > Interest Rates.",
            period=period,
            date=start,
        )

    # ------------------------------------------------------------------
    # Draft reminders follow the rates
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env["dunning.reminder.line"]._dunning_recompute_draft_penalties()
        return records

    def write(self, vals):
        res = super().write(vals)
        self.env["dunning.reminder.line"]._dunning_recompute_draft_penalties()
        return res

    def unlink(self):
        res = super().unlink()
        self.env["dunning.reminder.line"]._dunning_recompute_draft_penalties()
        return res
