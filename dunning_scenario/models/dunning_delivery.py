# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The delivery of a reminder's email and SMS: their channel status follows
the customer's notification (queued, sent out, or not delivered and why)."""

import textwrap

from odoo import models

# The channel status an email or SMS follows, from its recipient's
# notification: it is sent once the mail server or the SMS provider accepted
# it, and fails when they refuse it, when it bounces or is cancelled.
NOTIFICATION_STATUS = {
    "ready": "queued",
    "process": "queued",
    "pending": "done",
    "sent": "done",
    "bounce": "error",
    "exception": "error",
    "canceled": "error",
}
# Longest provider or bounce text kept in a channel's reason.
FAILURE_DETAIL_LENGTH = 200


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    def _dunning_sync_delivery(self):
        """Bring the email and SMS statuses of these reminders in line with their
        messages' real delivery (called whenever a notification changes, see
        mail.notification): queued until the mail server or the SMS provider
        accepted it, then sent, or an error with its reason."""
        for reminder in self:
            vals = {}
            for channel in ("email", "sms"):
                message = reminder[f"{channel}_message_id"]
                if not message or reminder[f"{channel}_status"] == "none":
                    continue
                status, reason = reminder._dunning_get_delivery(channel, message)
                if status and (status, reason) != (
                    reminder[f"{channel}_status"],
                    reminder[f"{channel}_error"] or False,
                ):
                    vals.update({f"{channel}_status": status, f"{channel}_error": reason})
            if vals:
                reminder._dunning_write_proof(vals)

    def _dunning_get_delivery(self, channel, message):
        """Where the customer's copy of ``message`` stands.

        :return: (channel status or None when Odoo no longer knows, reason)
        """
        self.ensure_one()
        message = message.sudo()
        notifications = message.notification_ids.filtered(
            lambda notif: notif.notification_type == channel
            and (channel == "sms" or notif.res_partner_id in message.partner_ids)
        )
        if not notifications:
            return None, False
        statuses = [NOTIFICATION_STATUS.get(n.notification_status, "queued") for n in notifications]
        if "error" in statuses:
            failed = notifications[statuses.index("error")]
            return "error", self._dunning_get_delivery_failure(channel, failed)
        if all(status == "done" for status in statuses):
            return "done", False
        return "queued", False

    def _dunning_get_delivery_failure(self, channel, notification):
        """Why ``notification`` failed, for the accountant (in the language of the
        reminder's responsible, whoever made the mail queue run)."""
        self.ensure_one()
        env = self.with_context(lang=self._dunning_get_staff_lang()).env
        Notification = env["mail.notification"]
        failure = dict(Notification._fields["failure_type"]._description_selection(env)).get(
            notification.failure_type
        ) or dict(Notification._fields["notification_status"]._description_selection(env)).get(
            notification.notification_status
        )
        detail = notification.failure_reason
        if not detail and channel == "email":
            # The mail queue keeps the mail server's answer on the mail.
            detail = notification.mail_mail_id.failure_reason
        detail = (detail or "").strip()
        if detail and detail != failure:
            detail = textwrap.shorten(" ".join(detail.split()), FAILURE_DETAIL_LENGTH)
            failure = f"{failure} ({detail})"
        recipient = (
            notification.res_partner_id.email
            if channel == "email"
            else notification.sms_number or notification.res_partner_id.display_name
        )
        if channel == "email":
            return env._(
                "The email to %(recipient)s was not delivered: %(failure)s.",
                recipient=recipient,
                failure=failure,
            )
        return env._(
            "The SMS to %(recipient)s was not delivered: %(failure)s.",
            recipient=recipient,
            failure=failure,
        )

    def _dunning_get_staff_lang(self):
        self.ensure_one()
        return self.user_id.lang or self.company_id.partner_id.lang or self.env.lang
