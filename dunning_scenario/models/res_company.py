# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_default_scenario_id = fields.Many2one(
        "dunning.scenario",
        string="Default Dunning Scenario",
        domain="[('company_id', '=', id)]",
        help="Scenario followed by customers that have neither their own scenario "
        "nor a category linked to one.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "dunning_default_scenario_id" in vals:
            self.env["account.move"]._dunning_reset_schedule(self)
        return res
