# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The payment reminder: the document, its amounts, what may be written on it
once sent (the proof), and its actions.

Its other concepts extend it in their own files: bringing it up to date and
cancelling it (dunning_reminder_refresh.py), the payment means it states
(dunning_payment_means.py), sending it (dunning_sending*.py, dunning_delivery.py,
dunning_auto_send.py), its letter (dunning_letter.py, dunning_letter_posting.py),
its penalties (dunning_reminder_penalty.py, dunning_penalty_invoice.py)."""

import contextlib
import contextvars
import logging
import secrets
import string

from odoo import api, fields, models
from odoo.exceptions import UserError

from .account_move import PAID_STATES

_logger = logging.getLogger(__name__)

# Sent reminders and their lines are the proof of what the customer received.
# Once sent, an accountant may only change their chatter and activities.
SENT_WRITABLE_FIELDS = {
    "message_main_attachment_id",
    "activity_ids",
    "message_follower_ids",
    "message_ids",
}
# What only the server may write, in any state: where the reminder stands, and
# what each channel really did (a client setting "sent" or "posted" itself
# would forge the proof).
PROOF_FIELDS = {
    "state",
    "reminded_by",
    "email_status",
    "email_error",
    "email_message_id",
    "sms_status",
    "sms_error",
    "sms_message_id",
    "letter_status",
    "letter_error",
    "letter_attachment_id",
    "letter_posted_date",
    "letter_registered_number",
    "letter_ack_date",
    "call_status",
    "call_error",
}

# The one exemption from the rules above: server code writing bookkeeping (a
# channel's delivery status, a letter posted, penalties invoiced) through
# ``_dunning_write_proof``. It lives in this Python context only, set for the
# duration of that write: never in the record's context, which any client can
# fill over RPC.
_proof_write_allowed = contextvars.ContextVar("dunning_proof_write_allowed", default=False)


@contextlib.contextmanager
def proof_write_allowed():
    """Let the code inside write on sent reminders and their lines."""
    token = _proof_write_allowed.set(True)
    try:
        yield
    finally:
        _proof_write_allowed.reset(token)


def is_proof_write_allowed():
    return _proof_write_allowed.get()


# The channels, in the order they are sent: the email goes first because a
# customer without email address gets a letter instead.
CHANNELS = ("email", "sms", "letter", "call")
# format_amount separates with no-break spaces, which are not GSM-7: an SMS
# holding one would be sent as UCS-2, limited to 70 characters.
SMS_PLAIN_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})

# The code of a reminder's short link: letters and digits only (GSM-7, no
# escaping in an SMS), long enough not to be guessed.
SHORT_CODE_ALPHABET = string.ascii_letters + string.digits
SHORT_CODE_LENGTH = 12

CREATE_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}


class DunningReminder(models.Model):
    _name = "dunning.reminder"
    _description = "Payment Reminder"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        readonly=True,
        check_company=True,
    )
    scenario_id = fields.Many2one(
        "dunning.scenario", required=True, index=True, readonly=True, check_company=True
    )
    level_id = fields.Many2one(
        "dunning.level",
        required=True,
        index=True,
        readonly=True,
        check_company=True,
        help="Highest level among the reminded invoices: its channels and templates are used.",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    # One reminder per customer, company and currency: every amount of the
    # reminder and of its messages is in the currency of its invoices.
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        readonly=True,
        default=lambda self: self.env.company.currency_id,
        help="Currency of the reminded invoices: a customer owing in several currencies "
        "gets one reminder per currency.",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    date = fields.Date(required=True, readonly=True, index=True, copy=False)
    state = fields.Selection(
        [("draft", "To remind"), ("sent", "Sent"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
        copy=False,
    )
    reminded_by = fields.Selection(
        [("send", "Sent"), ("mark", "Marked as reminded")],
        readonly=True,
        copy=False,
        help="Whether the messages were sent by Odoo or the reminder was done outside "
        "(letter posted by hand, phone call) and only marked as reminded.",
    )
    auto_send = fields.Boolean(related="scenario_id.auto_send")
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        index=True,
        tracking=True,
        default=lambda self: self.env.user,
    )
    line_ids = fields.One2many(
        "dunning.reminder.line", "reminder_id", string="Lines", readonly=True
    )
    level_line_ids = fields.One2many(
        "dunning.reminder.line",
        "reminder_id",
        string="Reminded Invoices",
        domain=[("kind", "=", "level")],
        readonly=True,
    )
    other_line_ids = fields.One2many(
        "dunning.reminder.line",
        "reminder_id",
        string="Also Outstanding",
        domain=[("kind", "!=", "level")],
        readonly=True,
    )
    invoice_count = fields.Integer(compute="_compute_amounts", store=True)
    amount_reminded = fields.Monetary(
        string="Reminded Amount",
        compute="_compute_amounts",
        store=True,
        help="Left to pay on the invoices reaching a level with this reminder.",
    )
    amount_overdue = fields.Monetary(
        string="Total Left to Pay",
        compute="_compute_amounts",
        store=True,
        help="Left to pay on all the customer's listed invoices.",
    )
    amount_credit = fields.Monetary(
        string="Credits",
        compute="_compute_amounts",
        store=True,
        help="Credit notes and payments not yet matched with an invoice.",
    )
    amount_net = fields.Monetary(
        string="Net Amount Due",
        compute="_compute_amounts",
        store=True,
        help="Total left to pay minus the credits.",
    )
    oldest_due_date = fields.Date(compute="_compute_amounts", store=True)
    previous_date = fields.Date(
        string="Previous Reminder",
        readonly=True,
        help="Date of the customer's previous reminder, when this one was created.",
    )
    cancel_reason = fields.Char(readonly=True, copy=False)
    short_code = fields.Char(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Technical: the code of the reminder's short link, which shows the "
        "customer its open invoices.",
    )
    short_url = fields.Char(
        string="Short Link",
        compute="_compute_short_url",
        help="Link sent to the customer (SMS): a page listing all its open invoices, each "
        "with its own page to see and pay it.",
    )
    sms_invoice_refs = fields.Char(
        compute="_compute_sms_invoice_refs",
        help="The first invoice claimed and how many others, as the SMS states them.",
    )
    letter_address_complete = fields.Boolean(
        compute="_compute_letter_address_complete",
        help="The customer's postal address has a street, a city and a postal code, so "
        "a letter can really be posted to it.",
    )
    email_partner_id = fields.Many2one(
        "res.partner",
        string="Email Recipient",
        compute="_compute_email_partner_id",
        help="The customer's invoice-address contact when it has an email address, "
        "else the customer itself.",
    )
    pay_by_date = fields.Date(
        compute="_compute_pay_by_date",
        help="Date the messages ask the customer to pay by.",
    )
    auto_send_failed = fields.Boolean(
        readonly=True,
        copy=False,
        help="The automatic run could not send this reminder; the reason is in its "
        "chatter. It waits for an accountant.",
    )
    amount_net_company = fields.Monetary(
        string="Net Amount Due (Company Currency)",
        currency_field="company_currency_id",
        compute="_compute_amounts",
        store=True,
        help="Net amount due in the company's currency, to add up reminders of several "
        "currencies.",
    )
    previous_reminder_count = fields.Integer(
        string="Earlier Reminders",
        readonly=True,
        copy=False,
        help="Reminders already sent for the reminded invoices when this one was "
        "prepared (the fewest of any of them): 0 means this is the first contact.",
    )

    @api.depends(
        "line_ids.kind",
        "line_ids.amount_residual",
        "line_ids.amount_residual_company",
        "line_ids.date_due",
    )
    def _compute_amounts(self):
        for reminder in self:
            level_lines = reminder.line_ids.filtered(lambda line: line.kind == "level")
            debit_lines = reminder.line_ids.filtered(lambda line: line.kind != "credit")
            credit_lines = reminder.line_ids - debit_lines
            reminder.invoice_count = len(level_lines)
            reminder.amount_reminded = sum(level_lines.mapped("amount_residual"))
            reminder.amount_overdue = sum(debit_lines.mapped("amount_residual"))
            reminder.amount_credit = -sum(credit_lines.mapped("amount_residual"))
            reminder.amount_net = reminder.amount_overdue - reminder.amount_credit
            reminder.amount_net_company = sum(reminder.line_ids.mapped("amount_residual_company"))
            due_dates = [d for d in debit_lines.mapped("date_due") if d]
            reminder.oldest_due_date = min(due_dates) if due_dates else False

    def _compute_short_url(self):
        for reminder in self:
            code = reminder.short_code
            reminder.short_url = f"{reminder.get_base_url()}/r/{code}" if code else False

    @api.depends("line_ids.kind", "line_ids.name")
    def _compute_sms_invoice_refs(self):
        for reminder in self:
            debits = reminder.level_line_ids | reminder.other_line_ids.filtered(
                lambda line: line.kind == "overdue"
            )
            refs = debits[:1].name or ""
            if len(debits) > 1:
                refs += f" +{len(debits) - 1}"
            reminder.sms_invoice_refs = refs

    @api.depends(
        "partner_id.street",
        "partner_id.street2",
        "partner_id.city",
        "partner_id.zip",
        "partner_id.country_id",
        "partner_id.child_ids",
    )
    def _compute_letter_address_complete(self):
        for reminder in self:
            reminder.letter_address_complete = not reminder._dunning_get_letter_address_missing()

    @api.model
    def _get_dunning_by_short_code(self, code):
        """The reminder of a short link, or an empty recordset (in sudo: the code
        is the credential)."""
        if not code or len(code) != SHORT_CODE_LENGTH or not code.isalnum():
            return self.browse()
        return self.sudo().search(
            [("short_code", "=", code), ("state", "!=", "cancelled")], limit=1
        )

    def _get_dunning_open_invoices(self):
        """Every open invoice of this reminder's customer in its company, oldest
        due first (what the short link shows)."""
        self.ensure_one()
        Move = self.env["account.move"].sudo()
        return Move.search(
            Move._get_dunning_open_domain()
            + [
                ("commercial_partner_id", "=", self.partner_id.id),
                ("company_id", "=", self.company_id.id),
            ],
            order="invoice_date_due, id",
        )

    @api.depends("partner_id.email", "partner_id.child_ids.email", "partner_id.child_ids.type")
    def _compute_email_partner_id(self):
        for reminder in self:
            contacts = reminder._dunning_get_contacts()
            reminder.email_partner_id = next(
                (contact for contact in contacts if contact.email), contacts.browse()
            )

    @api.depends("date", "company_id", "level_id", "level_line_ids.date_due")
    def _compute_pay_by_date(self):
        for reminder in self:
            reminder.pay_by_date = reminder._get_dunning_pay_by_date() if reminder.date else False

    @api.depends("partner_id", "name")
    def _compute_display_name(self):
        for reminder in self:
            reminder.display_name = (
                f"{reminder.name} - {reminder.partner_id.name}"
                if reminder.partner_id
                else reminder.name
            )

    @api.model_create_multi
    def create(self, vals_list):
        # The daily run creates thousands at once: look the sequence up once per
        # company (as next_by_code would), then only draw numbers.
        sequences = {}
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                if company.id not in sequences:
                    sequences[company.id] = (
                        self.env["ir.sequence"]
                        .sudo()
                        .search(
                            [
                                ("code", "=", "dunning.reminder"),
                                ("company_id", "in", [company.id, False]),
                            ],
                            order="company_id",
                            limit=1,
                        )
                        .with_company(company)
                    )
                sequence = sequences[company.id]
                vals["name"] = (sequence._next() if sequence else False) or "/"
            if not vals.get("short_code"):
                vals["short_code"] = "".join(
                    secrets.choice(SHORT_CODE_ALPHABET) for __ in range(SHORT_CODE_LENGTH)
                )
        if not is_proof_write_allowed() and any(
            vals.get("state", "draft") != "draft" or set(vals) & (PROOF_FIELDS - {"state"})
            for vals in vals_list
        ):
            raise UserError(
                self.env._(
                    "A reminder is created to remind: only sending it or marking it as "
                    "reminded records what was sent."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if not is_proof_write_allowed():
            if set(vals) - SENT_WRITABLE_FIELDS and any(r.state == "sent" for r in self):
                raise UserError(
                    self.env._(
                        "A sent reminder is the record of what the customer received: "
                        "it cannot be changed."
                    )
                )
            forged = set(vals) & PROOF_FIELDS
            if forged:
                raise UserError(
                    self.env._(
                        "Where a reminder stands and what each channel did are recorded by "
                        "Odoo only, through its actions (send, mark as reminded, cancel, "
                        "retry, mark letters posted): %(fields)s cannot be written.",
                        fields=", ".join(
                            self._fields[fname]._description_string(self.env)
                            for fname in sorted(forged)
                        ),
                    )
                )
        if vals.get("state") == "sent":
            # Penalties are final once sent: compute what is pending while a draft.
            self.line_ids._dunning_flush_penalties()
        return super().write(vals)

    def _dunning_write_proof(self, vals):
        """Write ``vals`` even on sent reminders and on the fields only Odoo
        records (see ``PROOF_FIELDS``): for server code only, which is why this
        method is private (RPC cannot call it) and takes no context key.
        """
        with proof_write_allowed():
            return self.write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        if any(reminder.state == "sent" for reminder in self):
            raise UserError(
                self.env._("A sent reminder cannot be deleted: it is the proof of what was sent.")
            )

    # ------------------------------------------------------------------
    # User actions
    # ------------------------------------------------------------------

    def _check_draft(self):
        not_draft = self.filtered(lambda r: r.state != "draft")
        if not_draft:
            raise UserError(
                self.env._(
                    "Only reminders still to remind can be processed; these are not: %(names)s",
                    names=", ".join(not_draft.mapped("name")),
                )
            )

    def action_send(self):
        """Send the reminders through the channels of their level.

        A failing channel never stops the others. A reminder is sent as soon as
        one of its channels went through; the failed ones keep their reason and
        can be retried. A reminder whose every channel failed stays to remind,
        with the reasons, so that nothing is lost (and, for a scenario sent
        automatically, the run stops trying it until an accountant looks).
        """
        self._check_draft()
        to_send = self._dunning_refresh()
        blocked = to_send.filtered(lambda r: r._get_dunning_send_blocked_reason())
        if blocked:
            raise UserError(
                self.env._(
                    "These reminders cannot be sent; they stay in To remind:\n%(reasons)s",
                    reasons="\n".join(
                        f"{r.name} ({r.partner_id.name}): {r._get_dunning_send_blocked_reason()}"
                        for r in blocked
                    ),
                )
            )
        # A level without any channel sends nothing: say so, never "sent".
        silent = to_send.filtered(lambda r: not r._get_dunning_requested_channels())
        if silent:
            silent._dunning_done("mark")
            for reminder in silent:
                reminder._message_log(
                    body=self.env._(
                        "Nothing was sent: the level %(level)s has no channel.",
                        level=reminder.level_id.name,
                    )
                )
            to_send -= silent
        notes = {}
        unsent = to_send._dunning_send_channels(notes=notes)
        (to_send - unsent)._dunning_done("send", notes=notes)
        if not unsent:
            return True
        unsent.filtered("auto_send").write({"auto_send_failed": True})
        return self._dunning_notify_channel_errors(
            self.env._(
                "Nothing could be sent for %(names)s: every channel failed. They stay to "
                "remind; the reasons are on each reminder.",
                names=", ".join(unsent.mapped("name")),
            ),
        )

    def action_retry_channels(self):
        """Send again, on sent reminders, only the channels that failed."""
        not_sent = self.filtered(lambda r: r.state != "sent")
        if not_sent:
            raise UserError(
                self.env._(
                    "Only sent reminders can retry their failed channels; send these ones "
                    "instead: %(names)s",
                    names=", ".join(not_sent.mapped("name")),
                )
            )
        to_retry = self.filtered("has_channel_error")
        if not to_retry:
            raise UserError(self.env._("No channel failed on these reminders."))
        for reminder in to_retry:
            if all(move.payment_state in PAID_STATES for move in reminder.level_line_ids.move_id):
                raise UserError(
                    self.env._(
                        "Every invoice of %(reminder)s has been paid since it was sent: "
                        "there is nothing to send again.",
                        reminder=reminder.name,
                    )
                )
            reminder._dunning_send_channels(
                [channel for channel in CHANNELS if reminder[f"{channel}_status"] == "error"]
            )
        still_failing = to_retry.filtered("has_channel_error")
        if still_failing:
            return self._dunning_notify_channel_errors(
                self.env._(
                    "Some channels still fail for %(names)s: see the reasons on each reminder.",
                    names=", ".join(still_failing.mapped("name")),
                ),
            )
        return True

    @api.model
    def _dunning_notify_channel_errors(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_log_call(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a Call"),
            "res_model": "dunning.call.log",
            "view_mode": "form",
            "target": "new",
            "context": {"default_reminder_id": self.id},
        }

    def action_mark_reminded(self):
        """Advance the invoices by one level without sending anything (the
        accountant reminded the customer another way)."""
        self._check_draft()
        to_mark = self._dunning_refresh()
        to_mark._dunning_done("mark")
        return True

    def action_cancel(self):
        self._check_draft()
        self._dunning_cancel(self.env._("Cancelled by %(user)s.", user=self.env.user.name))
        return True

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.line_ids.move_id.ids)]
        action["context"] = {"create": False}
        return action
