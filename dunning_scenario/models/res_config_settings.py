# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_default_scenario_id = fields.Many2one(
        related="company_id.dunning_default_scenario_id", readonly=False
    )
    dunning_credit_controller_id = fields.Many2one(
        related="company_id.dunning_credit_controller_id", readonly=False
    )
    dunning_send_hour_from = fields.Float(
        related="company_id.dunning_send_hour_from", readonly=False
    )
    dunning_send_hour_to = fields.Float(related="company_id.dunning_send_hour_to", readonly=False)
    dunning_send_weekend = fields.Boolean(related="company_id.dunning_send_weekend", readonly=False)
    dunning_penalty_rate_mode = fields.Selection(
        related="company_id.dunning_penalty_rate_mode", readonly=False
    )
    dunning_contract_rate = fields.Float(related="company_id.dunning_contract_rate", readonly=False)
    dunning_indemnity_currency_id = fields.Many2one(
        related="company_id.dunning_indemnity_currency_id"
    )
    dunning_indemnity_amount = fields.Monetary(
        related="company_id.dunning_indemnity_amount",
        currency_field="dunning_indemnity_currency_id",
        readonly=False,
    )
    dunning_formal_notice_days = fields.Integer(
        related="company_id.dunning_formal_notice_days", readonly=False
    )
    dunning_invoice_penalties = fields.Boolean(
        related="company_id.dunning_invoice_penalties", readonly=False
    )
    dunning_contract_rate_date = fields.Date(
        related="company_id.dunning_contract_rate_date", readonly=False
    )
    dunning_contract_rate_warning = fields.Char(related="company_id.dunning_contract_rate_warning")
    dunning_interest_account_id = fields.Many2one(
        related="company_id.dunning_interest_account_id", readonly=False
    )
    dunning_indemnity_account_id = fields.Many2one(
        related="company_id.dunning_indemnity_account_id", readonly=False
    )
    dunning_remind_penalty_invoices = fields.Boolean(
        related="company_id.dunning_remind_penalty_invoices", readonly=False
    )
    dunning_claim_paid_late = fields.Boolean(
        related="company_id.dunning_claim_paid_late", readonly=False
    )

    @api.onchange("dunning_penalty_rate_mode", "dunning_contract_rate")
    def _onchange_dunning_contract_rate(self):
        if self.dunning_penalty_rate_mode != "contract":
            return None
        __, __, warning = self.env["res.company"]._dunning_get_contract_floor()
        if warning:
            return {"warning": {"title": self.env._("Legal rate missing"), "message": warning}}
        return None
