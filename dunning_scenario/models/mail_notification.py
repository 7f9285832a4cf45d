# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class MailNotification(models.Model):
    _inherit = "mail.notification"

    def write(self, vals):
        """Every change of an email's or SMS's delivery goes through here (mail
        queue, bounce, SMS provider and its delivery reports): the reminders
        that sent it follow, so that their channels say what really happened."""
        result = super().write(vals)
        if "notification_status" in vals:
            messages = self.sudo().mail_message_id.filtered(
                lambda message: message.model == "dunning.reminder"
            )
            if messages:
                self.env["dunning.reminder"].sudo().search(
                    [
                        "|",
                        ("email_message_id", "in", messages.ids),
                        ("sms_message_id", "in", messages.ids),
                    ]
                )._dunning_sync_delivery()
        return result
