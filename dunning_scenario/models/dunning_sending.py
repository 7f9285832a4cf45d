# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Sending a reminder through its channels: email, SMS, letter, call."""

from collections import defaultdict

from odoo import api, models, tools
from odoo.exceptions import UserError

from .dunning_reminder import CHANNELS, SMS_PLAIN_SPACES


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    # ------------------------------------------------------------------
    # Channels
    # ------------------------------------------------------------------

    def _dunning_send_channels(self, channels=None):
        """Send each reminder through the channels of its level, or only through
        ``channels`` (retry of the failed ones). Each channel runs on its own: a
        failure is recorded with its reason on the reminder and never stops the
        other channels. What went through is noted on the customer and on each
        invoice.

        :param channels: list of channel names (see ``CHANNELS``), or None for
            the channels of the level
        :return: the reminders for which every channel tried failed
        """
        unsent = self.browse()
        queued = False
        invoice_bodies, partner_bodies = {}, defaultdict(list)
        for reminder in self:
            if channels is None:
                requested = reminder._get_dunning_requested_channels()
            else:
                requested = list(channels)
            results = {}
            for channel in CHANNELS:
                if channel not in requested:
                    continue
                if channel == "email" and not reminder.email_partner_id:
                    results[channel] = (
                        False,
                        self.env._(
                            "%(customer)s has no email address: a letter is sent instead.",
                            customer=reminder.partner_id.display_name,
                        ),
                    )
                    if "letter" not in requested and reminder.letter_status != "done":
                        requested.append("letter")
                    continue
                results[channel] = reminder._dunning_run_channel(channel)

            vals = {}
            for channel in CHANNELS:
                if channel in results:
                    success, text = results[channel]
                    vals[f"{channel}_status"] = "done" if success else "error"
                    vals[f"{channel}_error"] = False if success else text
                elif channels is None:
                    vals[f"{channel}_status"] = "none"
                    vals[f"{channel}_error"] = False
            reminder.write(vals)
            queued = queued or any(
                results.get(channel, (False,))[0] for channel in ("email", "sms")
            )

            errors = [
                self.env._(
                    "%(channel)s failed: %(reason)s",
                    channel=reminder._get_dunning_channel_label(channel),
                    reason=text,
                )
                for channel, (success, text) in results.items()
                if not success
            ]
            if errors:
                reminder._message_log(body=" ".join(errors))
            done = [text for success, text in results.values() if success]
            if results and not done:
                unsent |= reminder
            elif done:
                body = self.env._(
                    "Reminder %(reminder)s (%(level)s): %(channels)s.",
                    reminder=reminder.name,
                    level=reminder.level_id.name,
                    channels="; ".join(done),
                )
                for move in reminder.level_line_ids.move_id:
                    invoice_bodies[move.id] = body
                partner_bodies[reminder.partner_id.id].append(body)
        if invoice_bodies:
            self.env["account.move"].browse(invoice_bodies)._message_log_batch(invoice_bodies)
            self.env["res.partner"].browse(partner_bodies)._message_log_batch(
                {pid: " ".join(texts) for pid, texts in partner_bodies.items()}
            )
        if queued and not self.env.context.get("dunning_defer_wake"):
            self._dunning_wake_queues()
        return unsent

    @api.model
    def _dunning_wake_queues(self):
        """Emails and SMS go through Odoo's queues: ask them to run now rather than
        at their next scheduled time."""
        for xmlid in ("mail.ir_cron_mail_scheduler_action", "sms.ir_cron_sms_scheduler_action"):
            cron = self.env.ref(xmlid, raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()

    def _get_dunning_requested_channels(self):
        """The channels the level of this reminder asks for."""
        self.ensure_one()
        level = self.level_id
        wanted = {
            "email": level.send_email,
            "sms": level.send_sms,
            "letter": level.send_letter,
            "call": level.create_activity,
        }
        return [channel for channel in CHANNELS if wanted[channel]]

    def _get_dunning_channel_label(self, channel):
        return self._fields[f"{channel}_status"]._description_string(self.env)

    def _dunning_run_channel(self, channel):
        """Run one channel in a savepoint, so that its failure undoes only its own
        work.

        :return: (True, what was done) or (False, why it failed)
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                return True, getattr(self, f"_dunning_send_{channel}")()
        except UserError as error:
            return False, error.args[0] if error.args else str(error)

    def _dunning_get_contacts(self):
        """Who the messages go to, by preference: the customer's invoice-address
        contact, then the customer itself."""
        self.ensure_one()
        partner = self.partner_id
        if not partner:
            return partner
        return partner.browse(partner.address_get(["invoice"])["invoice"]) | partner

    def _dunning_send_email(self):
        """Post the level's email on the reminder: the customer gets it through
        the mail queue, and the responsible follows the reminder to get the
        replies."""
        self.ensure_one()
        template = self.level_id.mail_template_id
        if not template:
            raise UserError(
                self.env._("Level %(level)s has no email template.", level=self.level_id.name)
            )
        recipient = self.email_partner_id
        attachments = self.env["ir.attachment"]
        if self.level_id.attach_invoices:
            attachments = self._dunning_prepare_invoice_attachments()
        self.message_post_with_source(
            template,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=attachments.ids,
            force_send=False,
        )
        if self.user_id:
            # After posting: the responsible gets the customer's replies, not a
            # copy of every reminder.
            self.message_subscribe(partner_ids=self.user_id.partner_id.ids)
        return self.env._("email to %(recipient)s", recipient=recipient.email_formatted)

    def _dunning_prepare_invoice_attachments(self):
        """The PDF of each reminded invoice, attached to the reminder: the PDF
        Odoo made when the invoice was sent, else one rendered now."""
        self.ensure_one()
        vals_list = []
        for move in self.level_line_ids.move_id:
            if move.invoice_pdf_report_id:
                raw, name = move.invoice_pdf_report_id.raw, move.invoice_pdf_report_id.name
            else:
                raw, __ = (
                    self.env["ir.actions.report"]
                    .with_context(lang=move.partner_id.lang)
                    ._render_qweb_pdf("account.account_invoices", move.ids)
                )
                name = move._get_invoice_report_filename()
            vals_list.append(
                {
                    "name": name,
                    "raw": raw,
                    "mimetype": "application/pdf",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        return self.env["ir.attachment"].create(vals_list)

    def _dunning_send_sms(self):
        """Queue the level's SMS to the customer's mobile (else phone) number."""
        self.ensure_one()
        template = self.level_id.sms_template_id
        if not template:
            raise UserError(
                self.env._("Level %(level)s has no SMS template.", level=self.level_id.name)
            )
        recipient, number = self._dunning_get_sms_recipient()
        body = template._render_field("body", self.ids, compute_lang=True)[self.id]
        self._message_sms(
            body.translate(SMS_PLAIN_SPACES),
            partner_ids=recipient.ids,
            sms_pid_to_number={recipient.id: number},
            put_in_queue=True,
        )
        return self.env._("SMS to %(number)s", number=number)

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
                    return contact, contact._phone_format(
                        number=number, country=country, raise_exception=True
                    )
                except UserError:
                    invalid.append(number)
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

    def _dunning_send_letter(self):
        """Make the letter PDF and keep it on the reminder, to print and post."""
        self.ensure_one()
        if not hasattr(self, "_dunning_attach_letter"):
            raise UserError(self.env._("The letter report is not installed."))
        attachment = self._dunning_attach_letter()
        return self.env._("letter %(name)s to print and post", name=attachment.name)

    def _dunning_send_call(self):
        """Plan a phone call for the responsible, with the invoices in its note."""
        self.ensure_one()
        user = self._get_dunning_call_user()
        if not user:
            raise UserError(
                self.env._(
                    "Nobody to make the phone call: set a dunning responsible or a "
                    "salesperson on %(customer)s, or a call responsible on level %(level)s.",
                    customer=self.partner_id.display_name,
                    level=self.level_id.name,
                )
            )
        reminder = self.with_context(lang=user.lang)
        note = (
            self.env["ir.qweb"]
            .with_context(lang=user.lang)
            ._render("dunning_scenario.dunning_reminder_call_note", {"reminder": reminder})
        )
        self.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=self.env["account.move"]._dunning_today(),
            summary=self.env._(
                "Call %(customer)s about %(amount)s overdue",
                customer=self.partner_id.name,
                amount=tools.format_amount(self.env, self.amount_overdue, self.currency_id),
            ),
            note=note,
            user_id=user.id,
        )
        return self.env._("phone call planned for %(user)s", user=user.name)

    def _get_dunning_call_user(self):
        """Who calls: the reminder's responsible, else the customer's dunning
        responsible or salesperson, else the call responsible of the level, else
        the company's credit controller (Settings)."""
        self.ensure_one()
        partner = self.partner_id
        return (
            self.user_id.filtered(lambda user: not user.share and user.active)
            or partner.dunning_responsible_id
            or partner.user_id
            or self.level_id.activity_user_id
            or self.company_id.dunning_credit_controller_id
        )

    def _dunning_done(self, method):
        """Mark the reminders as done and move their invoices to their level."""
        today = self.env["account.move"]._dunning_today()
        self.with_context(dunning_allow_sent_write=True).write(
            {"state": "sent", "reminded_by": method, "date": today}
        )
        lines = self.level_line_ids
        lines_by_move = {line.move_id.id: line for line in lines}
        lines.move_id._dunning_apply_level(lines_by_move, today)
        verb = self.env._("sent") if method == "send" else self.env._("marked as reminded")
        invoice_bodies, partner_bodies = {}, {}
        for reminder in self:
            for line in reminder.level_line_ids:
                invoice_bodies[line.move_id.id] = self.env._(
                    "Reminder %(reminder)s %(verb)s: level %(level)s.",
                    reminder=reminder.name,
                    verb=verb,
                    level=line.level_id.name,
                )
            partner_bodies.setdefault(reminder.partner_id.id, []).append(
                self.env._(
                    "Reminder %(reminder)s %(verb)s (%(level)s): %(invoices)s.",
                    reminder=reminder.name,
                    verb=verb,
                    level=reminder.level_id.name,
                    invoices=", ".join(reminder.level_line_ids.move_id.mapped("name")),
                )
            )
        lines.move_id._message_log_batch(invoice_bodies)
        self.partner_id._message_log_batch(
            {pid: " ".join(texts) for pid, texts in partner_bodies.items()}
        )
        if method == "mark":
            for reminder in self:
                reminder._message_log(body=self.env._("Marked as reminded, nothing was sent."))
