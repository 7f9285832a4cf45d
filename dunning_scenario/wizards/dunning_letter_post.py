# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class DunningLetterPost(models.TransientModel):
    """Record that reminder letters were posted (with the registered-mail number
    of a formal notice), or, later, the acknowledgement of receipt."""

    _name = "dunning.letter.post"
    _description = "Record Reminder Letters Posted"

    mode = fields.Selection(
        [("post", "Letters posted"), ("ack", "Acknowledgements of receipt")],
        required=True,
        default="post",
    )
    date = fields.Date(
        required=True,
        default=lambda self: self.env["account.move"]._dunning_today(),
        help="Day the letters were posted, or day the customer signed for the registered "
        "letter.",
    )
    line_ids = fields.One2many("dunning.letter.post.line", "wizard_id", string="Letters")

    def action_confirm(self):
        self.ensure_one()
        reminders = self.line_ids.reminder_id
        if self.mode == "post":
            reminders._dunning_mark_letters_posted(
                self.date,
                {line.reminder_id: line.registered_number for line in self.line_ids},
            )
        else:
            reminders._dunning_record_letter_ack(self.date)
        return {"type": "ir.actions.act_window_close"}


class DunningLetterPostLine(models.TransientModel):
    _name = "dunning.letter.post.line"
    _description = "Reminder Letter Posted"

    wizard_id = fields.Many2one("dunning.letter.post", required=True, ondelete="cascade")
    reminder_id = fields.Many2one("dunning.reminder", required=True, readonly=True)
    partner_id = fields.Many2one(related="reminder_id.partner_id", string="Customer")
    level_id = fields.Many2one(related="reminder_id.level_id")
    is_formal_notice = fields.Boolean(related="reminder_id.is_formal_notice")
    registered_number = fields.Char(
        string="Registered Mail Number",
        help="Required for a formal notice, which is sent by registered mail with "
        "acknowledgement of receipt.",
    )
    letter_registered_number = fields.Char(
        related="reminder_id.letter_registered_number", string="Posted as Registered Mail No."
    )
    letter_posted_date = fields.Date(related="reminder_id.letter_posted_date")
