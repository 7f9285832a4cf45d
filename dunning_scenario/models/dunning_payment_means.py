# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The payment means a reminder states: the bank account to pay to, and
whether the customer can really pay online."""

from odoo import fields, models


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    bank_account_id = fields.Many2one(
        "res.partner.bank",
        string="Bank Account Stated",
        compute="_compute_payment_means",
        help="The account the customer is asked to pay to: the one of the invoices, "
        "else the company's.",
    )
    can_pay_online = fields.Boolean(
        compute="_compute_payment_means",
        help="An online payment provider really accepts this customer's payment, so the "
        "messages offer to pay online.",
    )

    def _compute_payment_means(self):
        # A company with no payment provider enabled offers no online payment:
        # looked up once per company rather than per reminder.
        providers = {}
        for reminder in self:
            reminder.bank_account_id = reminder._get_dunning_bank_account()
            company = reminder.company_id
            if company not in providers:
                providers[company] = "payment.provider" in self.env and bool(
                    self.env["payment.provider"]
                    .sudo()
                    .search_count(
                        [
                            *self.env["payment.provider"]._check_company_domain(company.id),
                            ("state", "in", ["enabled", "test"]),
                        ],
                        limit=1,
                    )
                )
            reminder.can_pay_online = providers[company] and reminder._dunning_can_pay_online()

    def _get_dunning_bank_account(self):
        """The bank account the customer is asked to pay to: the one named on the
        reminded invoices (``partner_bank_id``) when they agree on one, else the
        company's first account."""
        self.ensure_one()
        banks = self.line_ids.move_id.partner_bank_id
        if len(banks) == 1:
            return banks
        return self.company_id.partner_id.bank_ids[:1]

    def _dunning_can_pay_online(self):
        """Whether the customer can really pay these invoices online: the invoice
        portal offers payment (module account_payment, portal payment enabled) and
        an online payment provider accepts this customer, amount and currency."""
        self.ensure_one()
        moves = self.level_line_ids.move_id or self.line_ids.move_id
        if "payment.provider" not in self.env or not moves:
            return False
        if not hasattr(moves, "_has_to_be_paid"):
            return False
        if not all(move._has_to_be_paid() for move in moves):
            return False
        providers = (
            self.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                self.company_id.id,
                self.partner_id.id,
                self.amount_net,
                currency_id=self.currency_id.id,
            )
        )
        return bool(providers)
