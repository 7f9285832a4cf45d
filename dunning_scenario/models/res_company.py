# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import formatLang

from .dunning_penalty import half_year_label, half_year_start

# Settings that change the penalties of the reminders still to send.
PENALTY_SETTINGS = {
    "dunning_penalty_rate_mode",
    "dunning_contract_rate",
    "dunning_contract_rate_date",
    "dunning_indemnity_amount",
}

# Default income accounts of penalty invoices in the French chart (l10n_fr_account),
# by template xml id, best first: see the README.
FRENCH_PENALTY_ACCOUNTS = {
    # Revenus des créances commerciales: interest earned on trade receivables.
    "interest": ("pcg_7631", "pcg_7638", "pcg_768"),
    # Produits divers de gestion courante: a flat compensation, not interest.
    "indemnity": ("pcg_758",),
}


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_default_scenario_id = fields.Many2one(
        "dunning.scenario",
        string="Default Dunning Scenario",
        domain="[('company_id', '=', id)]",
        help="Scenario followed by customers that have neither their own scenario "
        "nor a category linked to one.",
    )
    dunning_credit_controller_id = fields.Many2one(
        "res.users",
        string="Credit Controller",
        domain="[('share', '=', False)]",
        help="Who gets the phone calls (and other reminder tasks) of customers that have "
        "no responsible of their own.",
    )
    dunning_send_hour_from = fields.Float(
        string="Send From",
        default=8.0,
        help="Reminders sent automatically leave no earlier than this hour (company's "
        "time zone).",
    )
    dunning_send_hour_to = fields.Float(
        string="Send Until",
        default=19.0,
        help="Reminders sent automatically leave no later than this hour.",
    )
    dunning_send_weekend = fields.Boolean(
        string="Send on Weekends",
        help="Also send reminders automatically on Saturdays and Sundays.",
    )
    dunning_penalty_rate_mode = fields.Selection(
        [("ecb", "ECB rate + 10 points"), ("contract", "Contractual rate")],
        string="Business Penalty Rate",
        required=True,
        default="ecb",
        help="Late-payment penalties of business debtors: the legal default (ECB main "
        "refinancing rate of each half-year + 10 points) or the rate of your terms "
        "and conditions.",
    )
    dunning_contract_rate = fields.Float(
        string="Contractual Penalty Rate (%)",
        digits=(16, 2),
        help="Annual rate written in your terms and conditions. The law sets a floor: "
        "3 times the legal interest rate of each half-year; when your rate is below it "
        "for a half-year, the floor applies for that half-year and the basis says so.",
    )
    dunning_contract_rate_date = fields.Date(
        string="Contractual Rate Since",
        help="The contractual rate applies to invoices dated from this day (the terms "
        "and conditions in force when the sale was made); older invoices keep the "
        "legal rate. Empty: all invoices.",
    )
    dunning_contract_rate_warning = fields.Char(
        string="Contractual Rate Warning",
        compute="_compute_dunning_contract_rate_warning",
        help="Set when the floor of the current half-year cannot be checked yet.",
    )
    dunning_interest_account_id = fields.Many2one(
        "account.account",
        string="Late-Payment Interest Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Income account of the interest lines of penalty invoices. Empty: 7631 "
        "(Revenus des créances commerciales) of the French chart when installed, else "
        "the sales journal's account.",
    )
    dunning_indemnity_account_id = fields.Many2one(
        "account.account",
        string="Recovery Indemnity Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Income account of the flat recovery indemnity lines of penalty invoices. "
        "Empty: 758 (Produits divers de gestion courante) of the French chart when "
        "installed, else the sales journal's account.",
    )
    dunning_remind_penalty_invoices = fields.Boolean(
        string="Remind Penalty Invoices",
        default=True,
        help="Penalty invoices left unpaid are reminded for their own amount (never with "
        "a new indemnity or interest). Unchecked: they are excluded from reminders when "
        "created.",
    )
    dunning_claim_paid_late = fields.Boolean(
        string="Claim Penalties of Invoices Paid Late",
        help="Reminders also claim the interest and indemnities of the customer's "
        "invoices paid late (the 'Paid late' list), until they are invoiced or waived. "
        "Unchecked: the list is kept for you to invoice or waive them.",
    )
    # The flat indemnity is set by law in euros (Code de commerce, D441-5): it is
    # kept in EUR and never converted to the invoice's currency, so a customer
    # invoiced in another currency owes the same 40 EUR as anyone else.
    dunning_indemnity_currency_id = fields.Many2one(
        "res.currency", compute="_compute_dunning_indemnity_currency_id"
    )
    dunning_indemnity_amount = fields.Monetary(
        string="Flat Recovery Indemnity",
        currency_field="dunning_indemnity_currency_id",
        default=40.0,
        help="Owed by business and public debtors for each invoice paid late, outside "
        "the scope of VAT (40 EUR by law).",
    )
    dunning_formal_notice_days = fields.Integer(
        string="Formal Notice Payment Deadline (days)",
        default=8,
        help="Days given to pay in a formal notice.",
    )
    dunning_invoice_penalties = fields.Boolean(
        string="Invoice the Penalties",
        help="Allow creating, from a sent reminder, a draft invoice of its late-payment "
        "interest and flat indemnities.",
    )

    def _compute_dunning_indemnity_currency_id(self):
        self.dunning_indemnity_currency_id = self.env.ref("base.EUR")

    @api.depends_context("lang")
    @api.depends("dunning_penalty_rate_mode")
    def _compute_dunning_contract_rate_warning(self):
        __, __, missing = self._dunning_get_contract_floor()
        for company in self:
            company.dunning_contract_rate_warning = (
                missing if company.dunning_penalty_rate_mode == "contract" else False
            )

    @api.model
    def _dunning_get_contract_floor(self):
        """The floor a contractual rate entered today is checked against: 3 times
        the legal rate (other cases) of the current half-year, else of the latest
        half-year known (with a warning, the current one being not entered yet).

        :return: (floor or None, first day of the half-year used, warning or False)
        """
        today = self.env["account.move"]._dunning_today()
        Rate = self.env["dunning.interest.rate"]
        legal, day = Rate._get_latest_rate("legal_other", today)
        if legal is None:
            return None, None, False
        warning = False
        if day != half_year_start(today):
            warning = self.env._(
                "The legal interest rate of %(current)s is not entered yet: the contractual "
                "rate was checked against that of %(period)s. Each half-year's floor is "
                "checked again when penalties are computed.",
                current=half_year_label(today, self.env.lang),
                period=half_year_label(day, self.env.lang),
            )
        return round(3 * legal, 2), day, warning

    @api.model
    def _dunning_check_contract_rate_floor(self, rate):
        """Refuse a contractual ``rate`` below the floor known today (L441-10)."""
        floor, day, __ = self._dunning_get_contract_floor()
        if floor is not None and float_compare(rate, floor, precision_digits=2) < 0:
            raise ValidationError(
                self.env._(
                    "The contractual rate (%(rate)s %%) cannot be below 3 times the legal "
                    "interest rate in force on %(date)s, i.e. %(floor)s %%.",
                    rate=formatLang(self.env, rate, digits=2),
                    date=fields.Date.to_string(day),
                    floor=formatLang(self.env, floor, digits=2),
                )
            )

    @api.constrains("dunning_penalty_rate_mode", "dunning_contract_rate")
    def _check_dunning_contract_rate(self):
        """The contractual rate cannot be below 3 times the legal rate (other
        cases): checked here against the current half-year (or the latest known),
        and again for each half-year of lateness when penalties are computed."""
        for company in self.filtered(lambda c: c.dunning_penalty_rate_mode == "contract"):
            self._dunning_check_contract_rate_floor(company.dunning_contract_rate)

    def _dunning_get_contract_rate(self, partner, invoice_date):
        """The contractual rate agreed for an invoice of ``partner`` dated
        ``invoice_date``: the customer's own, else the company's, each from its
        start date; None when the legal rate (ECB + 10 points) applies."""
        self.ensure_one()
        partner = partner.commercial_partner_id.with_company(self).sudo()
        day = invoice_date
        if partner.dunning_contract_rate and (
            not partner.dunning_contract_rate_date
            or (day and day >= partner.dunning_contract_rate_date)
        ):
            return partner.dunning_contract_rate
        if self.dunning_penalty_rate_mode == "contract" and (
            not self.dunning_contract_rate_date or (day and day >= self.dunning_contract_rate_date)
        ):
            return self.dunning_contract_rate
        return None

    def _dunning_check_invoice_penalties(self):
        self.ensure_one()
        if not self.dunning_invoice_penalties:
            raise UserError(
                self.env._(
                    "Invoicing the penalties is not enabled for %(company)s: see Settings > "
                    "Invoicing > Payment Reminders.",
                    company=self.name,
                )
            )

    def _dunning_get_penalty_account(self, kind):
        """Income account of the ``kind`` ('interest' or 'indemnity') lines of a
        penalty invoice: the one chosen in Settings, else the French chart's, else
        False (the caller uses the sales journal's)."""
        self.ensure_one()
        chosen = (
            self.dunning_interest_account_id
            if kind == "interest"
            else (self.dunning_indemnity_account_id)
        )
        if chosen:
            return chosen
        ChartTemplate = self.env["account.chart.template"].with_company(self)
        for xmlid in FRENCH_PENALTY_ACCOUNTS[kind]:
            account = ChartTemplate.ref(xmlid, raise_if_not_found=False)
            if account and not account.deprecated:
                return account
        return self.env["account.account"]

    @api.constrains("dunning_formal_notice_days")
    def _check_dunning_formal_notice_days(self):
        if any(company.dunning_formal_notice_days < 1 for company in self):
            raise ValidationError(
                self.env._("The formal notice must give the customer at least one day to pay.")
            )

    def _dunning_get_indemnity_amount(self, day):
        """The flat indemnity in the company's currency on ``day``."""
        self.ensure_one()
        return self.dunning_indemnity_currency_id._convert(
            self.dunning_indemnity_amount, self.currency_id, self, day
        )

    def write(self, vals):
        res = super().write(vals)
        if "dunning_default_scenario_id" in vals:
            self.env["account.move"]._dunning_reset_schedule(self)
        if PENALTY_SETTINGS & set(vals):
            self.env["dunning.reminder.line"]._dunning_recompute_draft_penalties(self)
        return res

    # ------------------------------------------------------------------
    # Sending window of the automatic reminders
    # ------------------------------------------------------------------

    def _dunning_get_tz(self):
        self.ensure_one()
        return pytz.timezone(self.partner_id.tz or self.env.user.tz or "Europe/Paris")

    def _dunning_in_sending_window(self, now=None):
        """Whether automatic reminders may leave now (company's time zone)."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        local = pytz.utc.localize(now).astimezone(self._dunning_get_tz())
        if local.weekday() >= 5 and not self.dunning_send_weekend:
            return False
        hour = local.hour + local.minute / 60
        return self.dunning_send_hour_from <= hour < self.dunning_send_hour_to

    def _dunning_next_sending_window(self, now=None):
        """The next time (naive UTC) the sending window opens after ``now``."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        tz = self._dunning_get_tz()
        local = pytz.utc.localize(now).astimezone(tz)
        hours, minutes = divmod(round(self.dunning_send_hour_from * 60), 60)
        for days in range(8):
            day = (local + timedelta(days=days)).date()
            if day.weekday() >= 5 and not self.dunning_send_weekend:
                continue
            start = tz.localize(datetime.combine(day, time(hours, minutes)))
            if start > local:
                return start.astimezone(pytz.utc).replace(tzinfo=None)
        return now + timedelta(days=1)

    @api.model
    def _dunning_set_default_credit_controller(self):
        """At install, companies without a credit controller get the administrator,
        so that the calls of the shipped scenarios always go to someone."""
        admin = self.env.ref("base.user_admin", raise_if_not_found=False)
        if admin:
            self.sudo().search([("dunning_credit_controller_id", "=", False)]).write(
                {"dunning_credit_controller_id": admin.id}
            )
