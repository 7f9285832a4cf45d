# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class DunningInvoicePause(models.TransientModel):
    _name = "dunning.invoice.pause"
    _description = "Pause Invoice Reminders"

    move_ids = fields.Many2many("account.move", string="Invoices", required=True)
    reason = fields.Selection(
        [("dispute", "Dispute"), ("promise", "Promise to pay"), ("other", "Other")],
        required=True,
        default="promise",
    )
    paused_until = fields.Date(
        string="Until",
        help="Reminders start again by themselves on this day. Leave empty to pause "
        "until someone resumes them.",
    )
    note = fields.Char()

    @api.constrains("reason", "paused_until")
    def _check_paused_until(self):
        for wizard in self:
            if wizard.reason == "promise" and not wizard.paused_until:
                raise ValidationError(
                    self.env._("A promise to pay needs the date the customer promised.")
                )

    def action_pause(self):
        self.ensure_one()
        self.move_ids._dunning_pause(self.reason, self.paused_until, self.note)
        return {"type": "ir.actions.act_window_close"}
