# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class DunningReminderLine(models.Model):
    """One invoice (or credit) listed on a reminder.

    A plain model on purpose: no chatter, no followers, so that a run creating
    tens of thousands of lines stays cheap.
    """

    _name = "dunning.reminder.line"
    _description = "Dunning Reminder Line"
    _order = "reminder_id, kind_sequence, date_due, id"

    reminder_id = fields.Many2one(
        "dunning.reminder", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="reminder_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [
            ("level", "Reminded"),
            ("overdue", "Also outstanding"),
            ("credit", "Credit"),
        ],
        required=True,
        default="level",
        help="Reminded: the invoice reaches a level today. Also outstanding: another "
        "overdue invoice of the customer. Credit: a credit note or payment not yet "
        "matched, which lowers what the customer really owes.",
    )
    kind_sequence = fields.Integer(compute="_compute_kind_sequence", store=True)
    move_id = fields.Many2one("account.move", string="Document", index=True, ondelete="restrict")
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", ondelete="set null")
    name = fields.Char(string="Reference", required=True)
    date = fields.Date(string="Document Date")
    date_due = fields.Date(string="Due Date")
    days_overdue = fields.Integer()
    level_id = fields.Many2one("dunning.level", string="Level", ondelete="restrict")
    currency_id = fields.Many2one("res.currency", required=True)
    company_currency_id = fields.Many2one(
        related="reminder_id.currency_id", store=True, string="Company Currency"
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

    @api.depends("kind")
    def _compute_kind_sequence(self):
        order = {"level": 1, "overdue": 2, "credit": 3}
        for line in self:
            line.kind_sequence = order.get(line.kind, 9)
