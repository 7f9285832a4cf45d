# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Sending a reminder through the channels of its level: each channel on its
own, what each did, the letter and the phone call, and the reminder done.

The email and SMS channels are in dunning_sending_email.py and
dunning_sending_sms.py, their delivery in dunning_delivery.py, the letters to
post in dunning_letter_posting.py, the automatic sending of the daily run in
dunning_auto_send.py."""

from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from .dunning_reminder import CHANNELS

# What a channel is once its work is done on Odoo's side: an email or an SMS
# waits in its queue, a letter waits to be posted, a call is planned.
SUCCESS_STATUS = {"email": "queued", "sms": "queued", "letter": "to_post", "call": "done"}
# The bit of each channel in a reminder's dunning_channels_done.
CHANNEL_BITS = {"email": 1, "sms": 2, "letter": 4, "call": 8, "manual": 16}
# A phone call is done once it is planned for someone.
CHANNEL_STATUS = [("none", "Not requested"), ("done", "Done"), ("error", "Error")]
# An email or an SMS is done only once it left Odoo for its recipient; it
# waits in the queue until then, and fails when the mail server or the SMS
# provider refuses it, or it bounces.
MESSAGE_STATUS = [
    ("none", "Not requested"),
    ("queued", "Queued"),
    ("done", "Sent out"),
    ("error", "Error"),
]
# A letter is done once an accountant marked it posted.
LETTER_STATUS = [
    ("none", "Not requested"),
    ("to_post", "To post"),
    ("done", "Posted"),
    ("error", "Error"),
]


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    send_blocked_reason = fields.Char(
        string="Cannot Be Sent Because",
        compute="_compute_send_blocked_reason",
        help="Why this reminder cannot be sent as it stands: nothing is really owed, "
        "the customer is archived, the level has no channel... It stays in To remind "
        "until the reason is gone; it can still be marked as reminded or cancelled.",
    )
    channels_planned = fields.Char(
        string="Will Be Sent By",
        compute="_compute_channels_planned",
        help="The channels of the reminder's level, used when it is sent.",
    )
    email_status = fields.Selection(
        MESSAGE_STATUS, string="Email", default="none", required=True, readonly=True, copy=False
    )
    email_error = fields.Char(readonly=True, copy=False)
    sms_status = fields.Selection(
        MESSAGE_STATUS, string="SMS", default="none", required=True, readonly=True, copy=False
    )
    sms_error = fields.Char(string="SMS Error", readonly=True, copy=False)
    letter_status = fields.Selection(
        LETTER_STATUS, string="Letter", default="none", required=True, readonly=True, copy=False
    )
    letter_error = fields.Char(readonly=True, copy=False)
    call_status = fields.Selection(
        CHANNEL_STATUS,
        string="Phone Call",
        default="none",
        required=True,
        readonly=True,
        copy=False,
    )
    call_error = fields.Char(string="Phone Call Error", readonly=True, copy=False)
    has_channel_error = fields.Boolean(
        string="Channel Error",
        compute="_compute_has_channel_error",
        store=True,
        help="At least one channel (email, SMS, letter, phone call) failed; the reason "
        "is shown on the reminder.",
    )
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

    @api.depends(
        "level_id.send_email",
        "level_id.send_sms",
        "level_id.send_letter",
        "level_id.create_activity",
    )
    @api.depends_context("lang")
    def _compute_channels_planned(self):
        for reminder in self:
            reminder.channels_planned = ", ".join(
                reminder._get_dunning_channel_label(channel)
                for channel in reminder._get_dunning_requested_channels()
            )

    @api.depends(
        "state",
        "amount_net",
        "currency_id",
        "partner_id.active",
        "partner_id.lang",
        "scenario_id.min_amount",
        "level_id.send_email",
        "level_id.send_sms",
        "level_id.send_letter",
        "level_id.create_activity",
    )
    def _compute_send_blocked_reason(self):
        for reminder in self:
            reason = False
            if reminder.state == "draft":
                reason = reminder._get_dunning_send_blocked_reason()
                if not reason and not reminder._get_dunning_requested_channels():
                    reason = reminder.env._(
                        "The level %(level)s has no channel (email, SMS, letter or phone "
                        "call): sending it only marks it as reminded.",
                        level=reminder.level_id.name,
                    )
            reminder.send_blocked_reason = reason

    def _get_dunning_send_blocked_reason(self):
        """Why this reminder must not be sent as it stands, or False. Checked on
        display and again just before sending (after the refresh)."""
        self.ensure_one()
        currency = self.currency_id
        if not self.partner_id.active:
            return self.env._("The customer is archived.")
        lang_missing = self.env["res.partner"]._dunning_get_lang_missing_reason(
            self.partner_id.lang
        )
        if lang_missing:
            return self.env._("Not sent: %(reason)s.", reason=lang_missing)
        if currency.compare_amounts(self.amount_net, 0) <= 0:
            return self.env._(
                "Nothing to ask: the credits and unmatched payments cover the overdue "
                "invoices (net %(net)s).",
                net=tools.format_amount(self.env, self.amount_net, currency),
            )
        company = self.company_id
        minimum = company.currency_id._convert(
            self.scenario_id.min_amount, currency, company, self.date or fields.Date.today()
        )
        if currency.compare_amounts(self.amount_net, minimum) < 0:
            return self.env._(
                "The net amount due (%(net)s) is below the scenario's minimum (%(minimum)s).",
                net=tools.format_amount(self.env, self.amount_net, currency),
                minimum=tools.format_amount(self.env, minimum, currency),
            )
        return False

    @api.depends("email_status", "sms_status", "letter_status", "call_status")
    def _compute_has_channel_error(self):
        for reminder in self:
            reminder.has_channel_error = any(
                reminder[f"{channel}_status"] == "error" for channel in CHANNELS
            )

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
