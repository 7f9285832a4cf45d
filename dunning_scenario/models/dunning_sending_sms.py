# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The SMS channel of a reminder: its number and its queuing."""

from odoo import models
from odoo.exceptions import UserError

from .dunning_delivery import NOTIFICATION_STATUS
from .dunning_reminder import SMS_PLAIN_SPACES


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    def _dunning_send_sms(self):
        """Queue the level's SMS to the customer's mobile (else phone) number.
        The SMS status then follows its delivery."""
        self.ensure_one()
        template = self.level_id.sms_template_id
        if not template:
            raise UserError(
                self.env._("Level %(level)s has no SMS template.", level=self.level_id.name)
            )
        recipient, number = self._dunning_get_sms_recipient()
        body = template._render_field("body", self.ids, compute_lang=True)[self.id]
        message = self._message_sms(
            body.translate(SMS_PLAIN_SPACES),
            partner_ids=recipient.ids,
            sms_pid_to_number={recipient.id: number},
            put_in_queue=True,
        )
        notifications = message.sudo().notification_ids.filtered(
            lambda notif: notif.notification_type == "sms" and notif.res_partner_id == recipient
        )
        if not notifications:
            raise UserError(
                self.env._(
                    "No SMS left for %(number)s: Odoo found nobody to send it to.",
                    number=number,
                )
            )
        failed = notifications.filtered(
            lambda notif: NOTIFICATION_STATUS[notif.notification_status] == "error"
        )
        if failed:
            raise UserError(self._dunning_get_delivery_failure("sms", failed[0]))
        self._dunning_write_proof({"sms_message_id": message.id})
        return self.env._("SMS to %(number)s (queued)", number=number)

    def _dunning_get_sms_recipient(self):
        """The first contact with a usable number, mobile before phone, and that
        number in E.164 form, read with the contact's country (else the
        company's).

        :return: (res.partner, number)
        """
        self.ensure_one()
        invalid = []
        for contact in self._dunning_get_contacts():
            country = contact.country_id or self.company_id.country_id
            for fname in ("mobile", "phone"):
                number = contact[fname]
                if not number:
                    continue
                try:
                    number = contact._phone_format(
                        number=number, country=country, raise_exception=True
                    )
                except UserError:
                    invalid.append(number)
                    continue
                if not contact.active:
                    raise UserError(
                        self.env._(
                            "%(contact)s is archived, no SMS can be sent to it.",
                            contact=contact.display_name,
                        )
                    )
                blacklisted = (
                    self.env["phone.blacklist"].sudo().search_count([("number", "=", number)])
                )
                if blacklisted:
                    raise UserError(
                        self.env._(
                            "%(number)s is on the SMS blacklist (it asked to receive no more "
                            "text messages).",
                            number=number,
                        )
                    )
                return contact, number
        if invalid:
            raise UserError(
                self.env._(
                    "No valid phone number for %(customer)s: %(numbers)s cannot be read as a "
                    "phone number (country: %(country)s).",
                    customer=self.partner_id.display_name,
                    numbers=", ".join(invalid),
                    country=(self.partner_id.country_id or self.company_id.country_id).name
                    or self.env._("none"),
                )
            )
        raise UserError(
            self.env._(
                "%(customer)s has no mobile or phone number.",
                customer=self.partner_id.display_name,
            )
        )
