# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


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
