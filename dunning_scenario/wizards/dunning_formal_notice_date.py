# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class DunningFormalNoticeDate(models.TransientModel):
    """Record when a formal notice was really sent and received (a registered
    letter posted by hand, its acknowledgement of receipt) for the invoices of a
    reminder. The invoices' chatter keeps each change."""

    _name = "dunning.formal.notice.date"
    _description = "Set the Formal Notice Dates"

    reminder_id = fields.Many2one("dunning.reminder", required=True, readonly=True)
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_move_ids",
        store=True,
        readonly=False,
        domain="[('id', 'in', reminder_move_ids)]",
    )
    reminder_move_ids = fields.Many2many(
        "account.move", string="Invoices of the Reminder", compute="_compute_reminder_move_ids"
    )
    date_sent = fields.Date(string="Sent On", required=True)
    date_received = fields.Date(
        string="Received On",
        help="Date of the acknowledgement of receipt. A consumer's legal interest runs "
        "from this day.",
    )

    @api.depends("reminder_id")
    def _compute_move_ids(self):
        for wizard in self:
            wizard.move_ids = wizard.reminder_id.level_line_ids.move_id

    @api.depends("reminder_id")
    def _compute_reminder_move_ids(self):
        for wizard in self:
            wizard.reminder_move_ids = wizard.reminder_id.line_ids.move_id.filtered(
                lambda m: m.move_type == "out_invoice"
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        reminder = self.env["dunning.reminder"].browse(values.get("reminder_id"))
        moves = reminder.level_line_ids.move_id
        sent = moves.mapped("dunning_formal_notice_date")
        received = moves.mapped("dunning_formal_notice_ack_date")
        if "date_sent" in fields_list:
            values.setdefault("date_sent", sent and max(sent) or reminder.date)
        if "date_received" in fields_list and received:
            values.setdefault("date_received", max(received))
        return values

    def action_apply(self):
        self.ensure_one()
        self.move_ids.write(
            {
                "dunning_formal_notice_date": self.date_sent,
                "dunning_formal_notice_ack_date": self.date_received,
            }
        )
        self.reminder_id._message_log(
            body=self.env._(
                "Formal notice dates of %(invoices)s set by %(user)s: sent on %(sent)s, "
                "received on %(received)s.",
                invoices=", ".join(self.move_ids.mapped("name")),
                user=self.env.user.name,
                sent=fields.Date.to_string(self.date_sent),
                received=fields.Date.to_string(self.date_received) if self.date_received else "-",
            )
        )
        return {"type": "ir.actions.act_window_close"}
