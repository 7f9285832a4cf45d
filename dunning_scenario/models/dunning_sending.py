# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Sending a reminder through its channels: email, SMS, letter, call."""

import logging
import textwrap
import time
from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools.pdf import merge_pdf

from .dunning_reminder import CHANNELS, SMS_PLAIN_SPACES
from .dunning_run import DB_ERRORS_TO_PROPAGATE
from .mail_template import html_sanitize_once, qweb_compile_once

_logger = logging.getLogger(__name__)

# What a channel is once its work is done on Odoo's side: an email or an SMS
# waits in its queue, a letter waits to be posted, a call is planned.
SUCCESS_STATUS = {"email": "queued", "sms": "queued", "letter": "to_post", "call": "done"}
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
# The bit of each channel in a reminder's dunning_channels_done.
CHANNEL_BITS = {"email": 1, "sms": 2, "letter": 4, "call": 8, "manual": 16}
# Longest provider or bounce text kept in a channel's reason.
FAILURE_DETAIL_LENGTH = 200
# The automatic sending goes by chunks of reminders (one refresh, one rendering
# of each email template, one chatter write per chunk): at most this many, and
# no more than fit, at the pace of the previous chunk, in half the time left.
SEND_CHUNK_MAX = 100
# Template fields rendered for the reminders' emails, as the mail composer
# renders them for one record (recipients: partner_to, email_to and email_cc
# give partner_ids).
EMAIL_RENDER_FIELDS = (
    "subject",
    "body_html",
    "email_from",
    "email_to",
    "email_cc",
    "partner_to",
    "lang",
    "scheduled_date",
)


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    email_message_id = fields.Many2one(
        "mail.message",
        string="Email Message",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The email sent to the customer: the email status follows its delivery.",
    )
    sms_message_id = fields.Many2one(
        "mail.message",
        string="SMS Message",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The SMS sent to the customer: the SMS status follows its delivery.",
    )
    letter_attachment_id = fields.Many2one(
        "ir.attachment",
        string="Letter PDF",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The letter as it was made when the reminder was sent: the one to print and post.",
    )
    letter_posted_date = fields.Date(
        string="Letter Posted On",
        readonly=True,
        copy=False,
        help="Day the letter was posted, as recorded by the accountant.",
    )
    letter_registered_number = fields.Char(
        string="Registered Mail Number",
        readonly=True,
        copy=False,
        help="Number of the registered letter (with acknowledgement of receipt): required "
        "to mark a formal notice as posted.",
    )
    letter_ack_date = fields.Date(
        string="Acknowledgement of Receipt",
        readonly=True,
        copy=False,
        help="Day the customer signed for the registered letter, from the acknowledgement "
        "of receipt.",
    )
    is_formal_notice = fields.Boolean(related="level_id.is_formal_notice")
    # For the effectiveness report: the channels that reached the customer, one
    # bit each (see CHANNEL_BITS), read there without unfolding every status.
    dunning_channels_done = fields.Integer(
        string="Channels Done (Bit Mask)",
        compute="_compute_dunning_channels_done",
        store=True,
        precompute=True,
    )

    @api.depends("email_status", "sms_status", "letter_status", "call_status", "reminded_by")
    def _compute_dunning_channels_done(self):
        for reminder in self:
            reminder.dunning_channels_done = sum(
                bit
                for channel, bit in CHANNEL_BITS.items()
                if reminder._dunning_channel_done(channel)
            )

    def _dunning_channel_done(self, channel):
        """Whether ``channel`` reached the customer (as the effectiveness report
        counts it: a letter to post counts, an email in the queue not yet)."""
        if channel == "manual":
            return self.reminded_by == "mark"
        status = self[f"{channel}_status"]
        return status in ("done", "to_post") if channel == "letter" else status == "done"

    # ------------------------------------------------------------------
    # Channels
    # ------------------------------------------------------------------

    def _dunning_send_channels(self, channels=None, notes=None):
        """Send each reminder through the channels of its level, or only through
        ``channels`` (retry of the failed ones). Each channel runs on its own: a
        failure is recorded with its reason on the reminder and never stops the
        other channels. What went through is noted on the customer and on each
        invoice, or, given ``notes``, left there for ``_dunning_done`` to note
        with the rest (one note per customer and invoice for a reminder sent).

        The emails of all these reminders are rendered first, each template once
        for all the reminders using it; then each reminder posts its own.

        :param channels: list of channel names (see ``CHANNELS``), or None for
            the channels of the level
        :param notes: dict filled with {reminder id: what went through}
        :return: the reminders for which every channel tried failed
        """
        unsent = self.browse()
        queued = False
        invoice_bodies, partner_bodies = {}, defaultdict(list)
        requested = {
            reminder: reminder._get_dunning_requested_channels()
            if channels is None
            else list(channels)
            for reminder in self
        }
        emailing = self.filtered(lambda reminder: "email" in requested[reminder])
        blacklist = emailing._dunning_get_blacklisted_emails()
        rendered = emailing.filtered(
            lambda reminder: not reminder._dunning_check_email_recipient(blacklist)
        )._dunning_render_emails()

        def wants_letter(reminder):
            # The letter of the level, or one instead of an email that cannot go.
            wanted = requested[reminder]
            return "letter" in wanted or (
                "email" in wanted
                and reminder.letter_status not in ("to_post", "done")
                and bool(reminder._dunning_check_email_recipient(blacklist))
            )

        letters = {}
        if hasattr(self, "_dunning_render_letters"):
            letters = (
                self.filtered(wants_letter)
                .filtered(lambda reminder: not reminder._dunning_get_letter_address_missing())
                ._dunning_render_letters()
            )
        for reminder in self:
            proof = {}
            results = reminder._dunning_run_channels(
                requested[reminder],
                rendered=rendered,
                blacklist=blacklist,
                letters=letters,
                proof=proof,
            )
            vals = reminder._prepare_dunning_channel_vals(results, reset=channels is None)
            # The email's message, written with its status (one update).
            vals.update(proof)
            reminder._dunning_write_proof(vals)
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
            elif done and notes is not None:
                notes[reminder.id] = "; ".join(done)
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
        # The statuses follow what the queues already know (a message refused at once).
        self._dunning_sync_delivery()
        if invoice_bodies:
            self.env["account.move"].browse(invoice_bodies)._message_log_batch(invoice_bodies)
            self.env["res.partner"].browse(partner_bodies)._message_log_batch(
                {pid: " ".join(texts) for pid, texts in partner_bodies.items()}
            )
        if queued and not self.env.context.get("dunning_defer_wake"):
            self._dunning_wake_queues()
        return unsent

    def _dunning_run_channels(
        self, requested, rendered=None, blacklist=None, letters=None, proof=None
    ):
        """Run the ``requested`` channels of this reminder. A customer no email
        can reach gets a letter instead.

        :param rendered: {reminder id: its email's values}, rendered beforehand
            (see ``_dunning_render_emails``); a reminder missing there renders
            its email itself
        :param blacklist: see ``_dunning_check_email_recipient``
        :param letters: {reminder id: its letter's PDF}, rendered beforehand
            (see ``_dunning_render_letters``); else rendered when sent
        :param proof: dict to fill with the email's message (see
            ``_dunning_send_email``) rather than writing it at once
        :return: {channel: (True, what was done) or (False, why it failed)}
        """
        self.ensure_one()
        requested = list(requested)
        results = {}
        for channel in CHANNELS:
            if channel not in requested:
                continue
            kwargs = {}
            if channel == "email":
                problem = self._dunning_check_email_recipient(blacklist)
                if problem:
                    if "letter" not in requested and self.letter_status not in ("to_post", "done"):
                        requested.append("letter")
                    if "letter" in requested:
                        problem = self.env._(
                            "%(reason)s: a letter is sent instead.", reason=problem
                        )
                    results[channel] = (False, problem)
                    continue
                kwargs["rendered"] = (rendered or {}).get(self.id)
                kwargs["proof"] = proof
            elif channel == "letter":
                kwargs["pdf"] = (letters or {}).get(self.id)
            results[channel] = self._dunning_run_channel(channel, **kwargs)
        return results

    def _prepare_dunning_channel_vals(self, results, reset=False):
        """The channel fields to write after ``results`` (see
        ``_dunning_run_channels``); with ``reset``, the channels not run are
        set back to not requested."""
        vals = {}
        for channel in CHANNELS:
            if channel in results:
                success, text = results[channel]
                vals[f"{channel}_status"] = SUCCESS_STATUS[channel] if success else "error"
                vals[f"{channel}_error"] = False if success else text
                if not success and channel in ("email", "sms"):
                    # The status no longer follows an earlier message.
                    vals[f"{channel}_message_id"] = False
                if channel == "letter":
                    vals.update(
                        letter_posted_date=False,
                        letter_registered_number=False,
                        letter_ack_date=False,
                    )
                    if not success:
                        vals["letter_attachment_id"] = False
            elif reset:
                vals[f"{channel}_status"] = "none"
                vals[f"{channel}_error"] = False
        return vals

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

    def _dunning_run_channel(self, channel, **kwargs):
        """Run one channel in a savepoint, so that its failure undoes only its own
        work.

        :param kwargs: given to the channel's method (``_dunning_send_<channel>``)
        :return: (True, what was done) or (False, why it failed)
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                return True, getattr(self, f"_dunning_send_{channel}")(**kwargs)
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

    def _dunning_get_blacklisted_emails(self):
        """The email addresses of these reminders' recipients that are on the
        email blacklist, in one query.

        :return: set of normalized email addresses
        """
        emails = {
            email
            for email in (
                tools.email_normalize(reminder.email_partner_id.email) for reminder in self
            )
            if email
        }
        if not emails:
            return set()
        Blacklist = self.env["mail.blacklist"].sudo()
        return set(Blacklist.search([("email", "in", list(emails))]).mapped("email"))

    def _dunning_check_email_recipient(self, blacklist=None):
        """Why no email can reach the customer, in the accountant's words, or
        False when the recipient has a usable address.

        :param blacklist: the blacklisted addresses among the recipients (see
            ``_dunning_get_blacklisted_emails``), else looked up here
        """
        self.ensure_one()
        recipient = self.email_partner_id
        if not recipient:
            return self.env._(
                "%(customer)s has no email address", customer=self.partner_id.display_name
            )
        if not recipient.active:
            return self.env._(
                "%(contact)s is archived, no email can be sent to it",
                contact=recipient.display_name,
            )
        email = tools.email_normalize(recipient.email)
        if not email:
            return self.env._(
                "the email address of %(contact)s (%(email)s) is not valid",
                contact=recipient.display_name,
                email=recipient.email,
            )
        if blacklist is None:
            blacklist = self._dunning_get_blacklisted_emails()
        if email in blacklist:
            return self.env._(
                "%(email)s is on the email blacklist (it asked to receive no more emails)",
                email=email,
            )
        return False

    def _dunning_render_emails(self):
        """Render the emails of these reminders, each template once for all the
        reminders using it (one rendering per language, the QWeb body compiled
        once per language rather than once per reminder). What a template
        renders is what Odoo's mail composer renders for one record: subject,
        body, sender, recipients (``partner_ids``), language, scheduled date. A
        template that fails to render is left to each reminder, which renders
        its own email and records why it fails.

        :return: {reminder id: {field: rendered value}}
        """
        by_template = defaultdict(list)
        for reminder in self:
            if reminder.level_id.mail_template_id:
                by_template[reminder.level_id.mail_template_id].append(reminder.id)
        rendered = {}
        for template, res_ids in by_template.items():
            try:
                with self.env.cr.savepoint(), qweb_compile_once():
                    rendered.update(
                        template._generate_template(
                            res_ids, EMAIL_RENDER_FIELDS, find_or_create_partners=True
                        )
                    )
            except DB_ERRORS_TO_PROPAGATE:
                raise
            except Exception:  # noqa: BLE001 - each reminder then renders its own
                _logger.info("Template %s failed to render in batch", template.id, exc_info=True)
        # What message_post would look up for each reminder, for all at once:
        # the author and the reply-to address of each sender, the company and
        # the alias domain of each reminder.
        reminders = self.filtered(lambda reminder: reminder.id in rendered)
        companies = reminders._mail_get_companies(default=self.env.company)
        alias_domains = reminders.sudo()._mail_get_alias_domains(default_company=self.env.company)
        by_sender = defaultdict(lambda: self.browse())
        for reminder in reminders:
            by_sender[reminder._get_dunning_email_from(rendered[reminder.id])] |= reminder
        for email_from, senders in by_sender.items():
            author_id = self._get_dunning_email_author(email_from)
            reply_to = senders._notify_get_reply_to(default=email_from)
            for reminder in senders:
                rendered[reminder.id].update(
                    author_id=author_id,
                    reply_to=reply_to[reminder.id],
                    record_company_id=companies[reminder.id].id,
                    record_alias_domain_id=alias_domains[reminder.id].id,
                )
        return rendered

    def _get_dunning_email_from(self, rendered):
        """The sender of this reminder's email: the template's, else the user's."""
        self.ensure_one()
        email_from = (
            rendered.get("email_from") if self.level_id.mail_template_id.email_from else False
        )
        return email_from or self.env.user.email_formatted

    @api.model
    def _get_dunning_email_author(self, email_from):
        """The partner the email is posted as: the one matching the sender's
        address, else the current user's (as Odoo's mail composer does)."""
        author_id, __ = (
            self.env["mail.thread"]
            .with_context(active_test=False)
            ._message_compute_author(None, email_from, raise_on_email=False)
        )
        return author_id or self.env.user.partner_id.id

    def _prepare_dunning_email_post_values(self, template, rendered, attachments):
        """What to post for the email of this reminder, from its rendered
        template: the values Odoo's mail composer gives ``message_post`` when
        it sends a template on one record (author found from the sender, the
        template's layout, no signature, the template's language)."""
        self.ensure_one()
        email_from = self._get_dunning_email_from(rendered)
        author_id = rendered.get("author_id") or self._get_dunning_email_author(email_from)
        body = rendered.get("body_html")
        return {
            "author_id": author_id,
            "email_from": email_from,
            "subject": rendered.get("subject") or self._message_compute_subject(),
            "body": body if body and not tools.is_html_empty(body) else "",
            "partner_ids": list(rendered.get("partner_ids") or []),
            "attachment_ids": attachments.ids,
            "scheduled_date": rendered.get("scheduled_date") or False,
            "force_email_lang": rendered.get("lang") or False,
            "message_type": "comment",
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"),
            "email_add_signature": False,
            "email_layout_xmlid": template.email_layout_xmlid or False,
            "mail_auto_delete": template.auto_delete,
            "mail_server_id": template.mail_server_id.id,
            "mail_activity_type_id": False,
            "parent_id": False,
            "record_name": self.display_name,
            "reply_to_force_new": False,
            "force_send": False,
            # Looked up with the other reminders' (see _dunning_render_emails),
            # else by message_post.
            **{
                fname: rendered[fname]
                for fname in ("reply_to", "record_company_id", "record_alias_domain_id")
                if fname in rendered
            },
        }

    def _dunning_send_email(self, rendered=None, proof=None):
        """Post the level's email on the reminder: the customer gets it through
        the mail queue, and the responsible follows the reminder to get the
        replies. The email status then follows the email's delivery.

        :param rendered: this reminder's email as rendered with others (see
            ``_dunning_render_emails``), else rendered here
        :param proof: dict in which to leave the email's message for the
            caller to write with the channel's status; else written here
        """
        self.ensure_one()
        template = self.level_id.mail_template_id
        if not template:
            raise UserError(
                self.env._("Level %(level)s has no email template.", level=self.level_id.name)
            )
        recipient = self.email_partner_id
        if rendered is None:
            rendered = template._generate_template(
                self.ids, EMAIL_RENDER_FIELDS, find_or_create_partners=True
            )[self.id]
        attachments = self.env["ir.attachment"]
        if self.level_id.attach_invoices:
            attachments = self._dunning_prepare_invoice_attachments()
        message = self.message_post(
            **self._prepare_dunning_email_post_values(template, rendered, attachments)
        )
        notifications = message.sudo().notification_ids.filtered(
            lambda notif: notif.notification_type == "email" and notif.res_partner_id == recipient
        )
        if not notifications:
            raise UserError(
                self.env._(
                    "No email left for %(contact)s: Odoo found nobody to send it to.",
                    contact=recipient.display_name,
                )
            )
        failed = notifications.filtered(
            lambda notif: NOTIFICATION_STATUS[notif.notification_status] == "error"
        )
        if failed:
            raise UserError(self._dunning_get_delivery_failure("email", failed[0]))
        if proof is not None:
            proof["email_message_id"] = message.id
        else:
            self._dunning_write_proof({"email_message_id": message.id})
        if self.user_id:
            # After posting: the responsible gets the customer's replies, not a
            # copy of every reminder.
            self.message_subscribe(partner_ids=self.user_id.partner_id.ids)
        return self.env._("email to %(recipient)s (queued)", recipient=recipient.email_formatted)

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

    def _dunning_send_letter(self, pdf=None):
        """Make the letter PDF and keep it on the reminder, to print and post:
        the letter waits in the letters to post until an accountant marks it
        posted.

        :param pdf: the letter, rendered with others; else rendered here
        """
        self.ensure_one()
        if not hasattr(self, "_dunning_attach_letter"):
            raise UserError(self.env._("The letter report is not installed."))
        self._dunning_check_letter_address()
        attachment = self._dunning_attach_letter(pdf)
        self._dunning_write_proof({"letter_attachment_id": attachment.id})
        return self.env._("letter %(name)s to print and post", name=attachment.name)

    def _dunning_get_letter_address_missing(self):
        """What the letter's postal address lacks for the post to deliver it: a
        street, a city and, where the country has them, a postcode."""
        self.ensure_one()
        contact = self._get_dunning_letter_partner()
        country = contact.country_id or self.company_id.country_id
        missing = []
        if not (contact.street or contact.street2):
            missing.append(self.env._("street"))
        if not contact.zip and (not country or country.zip_required):
            missing.append(self.env._("postcode"))
        if not contact.city:
            missing.append(self.env._("city"))
        return missing

    def _dunning_check_letter_address(self):
        """Refuse a letter that the post could not deliver."""
        self.ensure_one()
        contact = self._get_dunning_letter_partner()
        missing = self._dunning_get_letter_address_missing()
        if missing:
            raise UserError(
                self.env._(
                    "The postal address of %(contact)s is incomplete (missing: %(missing)s): "
                    "a letter could not reach it.",
                    contact=contact.display_name,
                    missing=", ".join(missing),
                )
            )

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

    def _dunning_done(self, method, notes=None):
        """Mark the reminders as done and move their invoices to their level,
        with one note on each invoice and customer.

        :param notes: {reminder id: what its channels did} (see
            ``_dunning_send_channels``), said in the same note
        """
        notes = notes or {}
        today = self.env["account.move"]._dunning_today()
        self._dunning_write_proof({"state": "sent", "reminded_by": method, "date": today})
        lines = self.level_line_ids
        lines_by_move = {line.move_id.id: line for line in lines}
        lines.move_id._dunning_apply_level(lines_by_move, today)
        verb = self.env._("sent") if method == "send" else self.env._("marked as reminded")
        invoice_bodies, partner_bodies = {}, {}
        for reminder in self:
            channels = notes.get(reminder.id)
            invoices = ", ".join(reminder.level_line_ids.move_id.mapped("name"))
            for line in reminder.level_line_ids:
                if channels:
                    invoice_bodies[line.move_id.id] = self.env._(
                        "Reminder %(reminder)s (%(level)s): %(channels)s. This invoice is now "
                        "at level %(invoice_level)s.",
                        reminder=reminder.name,
                        level=reminder.level_id.name,
                        channels=channels,
                        invoice_level=line.level_id.name,
                    )
                else:
                    invoice_bodies[line.move_id.id] = self.env._(
                        "Reminder %(reminder)s %(verb)s: level %(level)s.",
                        reminder=reminder.name,
                        verb=verb,
                        level=line.level_id.name,
                    )
            if channels:
                body = self.env._(
                    "Reminder %(reminder)s (%(level)s): %(channels)s. Invoices: %(invoices)s.",
                    reminder=reminder.name,
                    level=reminder.level_id.name,
                    channels=channels,
                    invoices=invoices,
                )
            else:
                body = self.env._(
                    "Reminder %(reminder)s %(verb)s (%(level)s): %(invoices)s.",
                    reminder=reminder.name,
                    verb=verb,
                    level=reminder.level_id.name,
                    invoices=invoices,
                )
            partner_bodies.setdefault(reminder.partner_id.id, []).append(body)
        lines.move_id._message_log_batch(invoice_bodies)
        self.partner_id._message_log_batch(
            {pid: " ".join(texts) for pid, texts in partner_bodies.items()}
        )
        if method == "mark":
            for reminder in self:
                reminder._message_log(body=self.env._("Marked as reminded, nothing was sent."))

    # ------------------------------------------------------------------
    # Delivery of emails and SMS
    # ------------------------------------------------------------------

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

    # ------------------------------------------------------------------
    # Letters to post
    # ------------------------------------------------------------------

    def _dunning_check_letters(self, statuses):
        not_ready = self.filtered(lambda r: r.letter_status not in statuses)
        if not_ready:
            raise UserError(
                self.env._(
                    "These reminders have no letter in that state: %(names)s",
                    names=", ".join(not_ready.mapped("name")),
                )
            )

    def action_print_letters(self):
        """Print the letters of these reminders as they were made when sent, in
        one PDF."""
        if not self:
            raise UserError(self.env._("Select the letters to print."))
        missing = self.filtered(lambda r: not r.letter_attachment_id)
        if missing:
            raise UserError(
                self.env._(
                    "These reminders have no letter to print: %(names)s",
                    names=", ".join(missing.mapped("name")),
                )
            )
        return {
            "type": "ir.actions.act_url",
            "url": "/dunning_scenario/letters?ids={}".format(",".join(map(str, self.ids))),
            "target": "new",
        }

    def _dunning_get_letters_pdf(self):
        """The stored letters of these reminders, joined in one PDF."""
        return merge_pdf([reminder.letter_attachment_id.raw for reminder in self])

    def action_post_letters(self):
        """Ask the day the letters were posted (and the registered-mail numbers)."""
        self._dunning_check_letters(("to_post",))
        return self._dunning_letter_post_action("post")

    def action_record_letter_ack(self):
        """Ask the day the customer signed for the registered letter."""
        self._dunning_check_letters(("done",))
        return self._dunning_letter_post_action("ack")

    def _dunning_letter_post_action(self, mode):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Letters Posted")
            if mode == "post"
            else self.env._("Acknowledgements of Receipt"),
            "res_model": "dunning.letter.post",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_mode": mode,
                "default_line_ids": [
                    fields.Command.create({"reminder_id": reminder.id}) for reminder in self
                ],
            },
        }

    def _dunning_mark_letters_posted(self, posted_date, numbers=None):
        """Record that the letters were posted on ``posted_date``: from then on
        they count as sent. A formal notice goes by registered mail: its number
        is required.

        :param numbers: {reminder: registered-mail number}
        """
        numbers = numbers or {}
        self._dunning_check_letters(("to_post",))
        today = self.env["account.move"]._dunning_today()
        if posted_date > today:
            raise UserError(self.env._("A letter cannot be posted after today."))
        for reminder in self:
            number = (numbers.get(reminder) or "").strip()
            if reminder.is_formal_notice and not number:
                raise UserError(
                    self.env._(
                        "%(reminder)s is a formal notice, sent by registered mail: enter its "
                        "registered-mail number to mark it posted.",
                        reminder=reminder.name,
                    )
                )
            if posted_date < reminder.date:
                raise UserError(
                    self.env._(
                        "The letter of %(reminder)s was made on %(date)s: it cannot have been "
                        "posted before.",
                        reminder=reminder.name,
                        date=tools.format_date(self.env, reminder.date),
                    )
                )
            reminder._dunning_write_proof(
                {
                    "letter_status": "done",
                    "letter_error": False,
                    "letter_posted_date": posted_date,
                    "letter_registered_number": number or False,
                }
            )
            if number:
                text = self.env._(
                    "Letter of reminder %(reminder)s posted on %(date)s by registered mail "
                    "no. %(number)s.",
                    reminder=reminder.name,
                    date=tools.format_date(self.env, posted_date),
                    number=number,
                )
            else:
                text = self.env._(
                    "Letter of reminder %(reminder)s posted on %(date)s.",
                    reminder=reminder.name,
                    date=tools.format_date(self.env, posted_date),
                )
            reminder._dunning_log_letter_event(text)

    def _dunning_record_letter_ack(self, ack_date):
        """Record the day the customer signed for the registered letters."""
        self._dunning_check_letters(("done",))
        today = self.env["account.move"]._dunning_today()
        for reminder in self:
            if not reminder.letter_registered_number:
                raise UserError(
                    self.env._(
                        "The letter of %(reminder)s was not sent by registered mail: there is "
                        "no acknowledgement of receipt to record.",
                        reminder=reminder.name,
                    )
                )
            if reminder.letter_ack_date:
                raise UserError(
                    self.env._(
                        "The acknowledgement of receipt of %(reminder)s is already recorded.",
                        reminder=reminder.name,
                    )
                )
            if ack_date > today or ack_date < reminder.letter_posted_date:
                raise UserError(
                    self.env._(
                        "The acknowledgement of receipt of %(reminder)s must be dated between "
                        "the day the letter was posted (%(posted)s) and today.",
                        reminder=reminder.name,
                        posted=tools.format_date(self.env, reminder.letter_posted_date),
                    )
                )
            reminder._dunning_write_proof({"letter_ack_date": ack_date})
            reminder._dunning_log_letter_event(
                self.env._(
                    "Registered letter no. %(number)s of reminder %(reminder)s received by the "
                    "customer on %(date)s.",
                    number=reminder.letter_registered_number,
                    reminder=reminder.name,
                    date=tools.format_date(self.env, ack_date),
                )
            )

    def _dunning_log_letter_event(self, text):
        self.ensure_one()
        self._message_log(body=text)
        moves = self.level_line_ids.move_id
        moves._message_log_batch(dict.fromkeys(moves.ids, text))
        self.partner_id._message_log(body=text)

    # ------------------------------------------------------------------
    # Automatic sending (the daily run, once the reminders are prepared)
    # ------------------------------------------------------------------

    @api.model
    def _dunning_send_batch(self, companies, batch_size, progress):
        """Send a batch of the reminders of automatic scenarios (see
        _dunning_run_batch)."""
        # Sending renders letters and emails: a batch stops after a time budget
        # (at least one reminder each), well inside the cron's time limit; the
        # framework calls again for what remains.
        budget = float(
            self.env["ir.config_parameter"].sudo().get_param("dunning_scenario.send_seconds", 60)
        )
        # Messages leave only inside each company's sending window; the run is
        # called again when the next window opens.
        companies = self._dunning_companies_in_sending_window(companies)
        started = time.monotonic()
        to_send = self.search(self._get_dunning_autosend_domain(companies), limit=batch_size)
        # By chunks: one refresh (one search of new credits), one rendering of
        # each email template and one chatter write per chunk rather than per
        # reminder. The chunks grow (1, 2, 4...) while they fit in the time
        # left at the pace of the previous one (a chunk of letters is slow, one
        # of emails fast), so that the budget is checked often enough. A chunk
        # that fails is sent again one reminder at a time, so that one bad
        # reminder stops nothing.
        # The email templates' bodies, compiled once for the whole batch.
        with qweb_compile_once():
            done = self._dunning_send_chunks(to_send, progress, started, budget)
        if done:
            self._dunning_wake_queues()
        return done, self._dunning_to_send_count(companies)

    @api.model
    def _dunning_send_chunks(self, to_send, progress, started, budget):
        """Send ``to_send`` by chunks until the time ``budget`` (seconds since
        ``started``) is spent. :return: how many reminders were tried"""
        done = 0
        chunk_size = 1
        while done < len(to_send):
            elapsed = time.monotonic() - started
            if done and elapsed >= budget:
                break
            chunk = to_send[done : done + chunk_size]
            done += len(chunk)
            chunk_started = time.monotonic()
            self._dunning_send_chunk(chunk, progress)
            pace = (time.monotonic() - chunk_started) / len(chunk)
            left = budget - (time.monotonic() - started)
            chunk_size = self._dunning_next_chunk_size(len(chunk), pace, left)
        return done

    @api.model
    def _dunning_next_chunk_size(self, previous, pace, left):
        """How many reminders the next chunk sends: twice the previous one at
        most (and ``SEND_CHUNK_MAX``), no more than fit in half the time
        ``left`` at ``pace`` seconds a reminder, at least one."""
        size = min(2 * previous, SEND_CHUNK_MAX)
        if pace > 0:
            size = min(size, int(left / 2 / pace))
        return max(size, 1)

    @api.model
    def _dunning_send_chunk(self, chunk, progress):
        """Send a chunk of reminders automatically, checked again just before."""
        # The HTML of the chunk's messages and notes, sanitized once each.
        with html_sanitize_once():
            self._dunning_send_chunk_sanitized(chunk, progress)

    @api.model
    def _dunning_send_chunk_sanitized(self, chunk, progress):
        # Check again, just before sending, that something is really owed.
        chunk = chunk._dunning_refresh()
        for reminder in chunk:
            reason = reminder._get_dunning_send_blocked_reason()
            if reason:
                reminder._message_log(
                    body=self.env._("Not sent automatically: %(reason)s", reason=reason)
                )
                reminder.write({"auto_send_failed": True})
                chunk -= reminder
        # What is pending is written now, outside the savepoint below: a
        # conflict there is not a reminder's failure and must propagate.
        self.env.flush_all()
        try:
            with self.env.cr.savepoint():
                # The queues are woken once for the whole batch, by the caller.
                chunk.with_context(dunning_defer_wake=True).action_send()
        except DB_ERRORS_TO_PROPAGATE:
            raise
        except Exception:  # noqa: BLE001 - sent again one by one below
            self.env.invalidate_all()
            for reminder in chunk:
                self._dunning_send_one(reminder)
        for reminder in chunk.filtered(lambda r: r.state == "sent"):
            progress["sent"][reminder.company_id.id] += 1

    @api.model
    def _dunning_send_one(self, reminder):
        """Send one reminder automatically; a failure is noted on it and stops
        its automatic sending, never the run (database conflicts apart: the
        whole batch rolls back and the cron runs again)."""
        self.env.flush_all()
        try:
            with self.env.cr.savepoint():
                reminder.with_context(dunning_defer_wake=True).action_send()
        except DB_ERRORS_TO_PROPAGATE:
            raise
        except Exception as error:  # noqa: BLE001 - one bad reminder must not stop the run
            _logger.warning("Reminder %s could not be sent: %s", reminder.name, error)
            self.env.invalidate_all()
            reminder._message_log(
                body=self.env._("Automatic sending failed: %(error)s", error=str(error))
            )
            reminder._dunning_write_proof({"auto_send_failed": True})

    @api.model
    def _dunning_companies_in_sending_window(self, companies):
        """The companies whose sending window is open now. For the others with
        reminders waiting, the run is triggered again when their window opens."""
        now = fields.Datetime.now()
        closed = companies.filtered(lambda company: not company._dunning_in_sending_window(now))
        if closed:
            waiting = self._read_group(
                self._get_dunning_autosend_domain(closed), ["company_id"], ["__count"]
            )
            if waiting:
                cron = self.env.ref("dunning_scenario.ir_cron_dunning_process")
                cron._trigger(
                    at=min(company._dunning_next_sending_window(now) for company, __ in waiting)
                )
        return companies - closed

    @api.model
    def _get_dunning_autosend_domain(self, companies):
        return [
            ("state", "=", "draft"),
            ("scenario_id.auto_send", "=", True),
            ("auto_send_failed", "=", False),
            ("company_id", "in", companies.ids),
            ("level_id.is_litigation", "=", False),
        ]

    @api.model
    def _dunning_to_send_count(self, companies):
        return self.search_count(self._get_dunning_autosend_domain(companies))
