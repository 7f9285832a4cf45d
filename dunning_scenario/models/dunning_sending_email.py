# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The email channel of a reminder: who it can reach, its rendering (each
template once for many reminders) and its posting."""

import logging
from collections import defaultdict

from odoo import api, models, tools
from odoo.exceptions import UserError

from .dunning_delivery import NOTIFICATION_STATUS
from .dunning_run import DB_ERRORS_TO_PROPAGATE
from .mail_template import qweb_compile_once

_logger = logging.getLogger(__name__)

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
