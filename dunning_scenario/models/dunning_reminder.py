# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import subprocess
import time
from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from .account_move import PAID_STATES

_logger = logging.getLogger(__name__)

# Fields an accountant may still change once a reminder is sent (chatter and
# activity bookkeeping); everything else is the proof of what was sent.
SENT_WRITABLE_FIELDS = {
    "message_main_attachment_id",
    "activity_ids",
    "message_follower_ids",
    "message_ids",
    # channel status: a failed channel can be sent again on a sent reminder
    "email_status",
    "email_error",
    "sms_status",
    "sms_error",
    "letter_status",
    "letter_error",
    "call_status",
    "call_error",
}

# The channels, in the order they are sent: the email goes first because a
# customer without email address gets a letter instead.
CHANNELS = ("email", "sms", "letter", "call")
CHANNEL_STATUS = [("none", "Not requested"), ("done", "Done"), ("error", "Error")]
# format_amount separates with no-break spaces, which are not GSM-7: an SMS
# holding one would be sent as UCS-2, limited to 70 characters.
SMS_PLAIN_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})

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
    currency_id = fields.Many2one(related="company_id.currency_id", store=True)
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
    email_status = fields.Selection(
        CHANNEL_STATUS, string="Email", default="none", required=True, readonly=True, copy=False
    )
    email_error = fields.Char(readonly=True, copy=False)
    sms_status = fields.Selection(
        CHANNEL_STATUS, string="SMS", default="none", required=True, readonly=True, copy=False
    )
    sms_error = fields.Char(string="SMS Error", readonly=True, copy=False)
    letter_status = fields.Selection(
        CHANNEL_STATUS, string="Letter", default="none", required=True, readonly=True, copy=False
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
    # Late-payment penalties (French law): totals of the lines.
    amount_penalty = fields.Monetary(
        string="Late-Payment Interest",
        compute="_compute_penalty_amounts",
        store=True,
        help="Interest owed on the listed invoices on the reminder's date.",
    )
    amount_indemnity = fields.Monetary(
        string="Flat Indemnities",
        compute="_compute_penalty_amounts",
        store=True,
        help="Flat indemnity for recovery costs, once for each listed invoice paid late.",
    )
    amount_total_claimed = fields.Monetary(
        string="Total Claimed",
        compute="_compute_penalty_amounts",
        store=True,
        help="Net amount due plus interest and flat indemnities.",
    )
    penalty_missing_rate = fields.Boolean(
        string="Interest Rate Missing",
        compute="_compute_penalty_amounts",
        store=True,
        help="Some penalties could not be computed because an interest rate is missing.",
    )
    penalty_missing_message = fields.Char(compute="_compute_penalty_missing_message")
    show_penalties = fields.Boolean(related="level_id.show_penalties")
    invoice_penalties = fields.Boolean(related="company_id.dunning_invoice_penalties")
    penalty_invoice_id = fields.Many2one(
        "account.move",
        string="Penalty Invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="Invoice of the interest and flat indemnities of this reminder.",
    )

    @api.depends("line_ids.kind", "line_ids.amount_residual_company", "line_ids.date_due")
    def _compute_amounts(self):
        for reminder in self:
            level_lines = reminder.line_ids.filtered(lambda line: line.kind == "level")
            debit_lines = reminder.line_ids.filtered(lambda line: line.kind != "credit")
            credit_lines = reminder.line_ids - debit_lines
            reminder.invoice_count = len(level_lines)
            reminder.amount_reminded = sum(level_lines.mapped("amount_residual_company"))
            reminder.amount_overdue = sum(debit_lines.mapped("amount_residual_company"))
            reminder.amount_credit = -sum(credit_lines.mapped("amount_residual_company"))
            reminder.amount_net = reminder.amount_overdue - reminder.amount_credit
            due_dates = [d for d in debit_lines.mapped("date_due") if d]
            reminder.oldest_due_date = min(due_dates) if due_dates else False

    @api.depends(
        "amount_net",
        "line_ids.penalty_amount",
        "line_ids.indemnity_amount",
        "line_ids.penalty_error",
    )
    def _compute_penalty_amounts(self):
        for reminder in self:
            lines = reminder.line_ids.filtered(lambda line: line.kind != "credit")
            reminder.amount_penalty = sum(lines.mapped("penalty_amount"))
            reminder.amount_indemnity = sum(lines.mapped("indemnity_amount"))
            reminder.amount_total_claimed = (
                reminder.amount_net + reminder.amount_penalty + reminder.amount_indemnity
            )
            reminder.penalty_missing_rate = any(lines.mapped("penalty_error"))

    @api.depends("line_ids.penalty_error", "line_ids.penalty_note")
    def _compute_penalty_missing_message(self):
        for reminder in self:
            notes = reminder.line_ids.filtered("penalty_error").mapped("penalty_note")
            reminder.penalty_missing_message = " / ".join(dict.fromkeys(notes)) or False

    @api.depends("email_status", "sms_status", "letter_status", "call_status")
    def _compute_has_channel_error(self):
        for reminder in self:
            reminder.has_channel_error = any(
                reminder[f"{channel}_status"] == "error" for channel in CHANNELS
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
        return super().create(vals_list)

    def write(self, vals):
        if (
            set(vals) - SENT_WRITABLE_FIELDS
            and any(r.state == "sent" for r in self)
            and not self.env.context.get("dunning_allow_sent_write")
        ):
            raise UserError(
                self.env._(
                    "A sent reminder is the record of what the customer received: "
                    "it cannot be changed."
                )
            )
        if vals.get("state") == "sent":
            # Penalties are final once sent: compute what is pending while a draft.
            self.line_ids._dunning_flush_penalties()
        return super().write(vals)

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
        unsent = to_send._dunning_send_channels()
        (to_send - unsent)._dunning_done("send")
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

    def action_view_penalty_invoice(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action.update(
            {"res_id": self.penalty_invoice_id.id, "views": [(False, "form")], "view_mode": "form"}
        )
        return action

    def action_invoice_penalties(self):
        """Create a draft customer invoice of the interest and flat indemnities of
        this sent reminder. An invoice's indemnity is invoiced once whatever the
        number of reminders; its interest is invoiced for what accrued since the
        last penalty invoice (penalties on a reminder run from the due date)."""
        self.ensure_one()
        if not self.company_id.dunning_invoice_penalties:
            raise UserError(
                self.env._(
                    "Invoicing the penalties is not enabled for %(company)s: see Settings > "
                    "Invoicing > Payment Reminders.",
                    company=self.company_id.name,
                )
            )
        if self.state != "sent":
            raise UserError(
                self.env._(
                    "Only the penalties of a sent reminder can be invoiced: they are final "
                    "once the reminder is sent."
                )
            )
        if self.penalty_invoice_id and self.penalty_invoice_id.state != "cancel":
            raise UserError(
                self.env._(
                    "The penalties of %(reminder)s are already invoiced in %(invoice)s.",
                    reminder=self.name,
                    invoice=self.penalty_invoice_id.display_name,
                )
            )
        if self.penalty_missing_rate:
            raise UserError(
                self.env._(
                    "The penalties of %(reminder)s were not computed: %(reason)s. Enter the "
                    "missing rate; the next reminder will compute them.",
                    reminder=self.name,
                    reason=self.penalty_missing_message,
                )
            )
        lines = self.line_ids.filtered(
            lambda line: line.kind != "credit" and (line.penalty_amount or line.indemnity_amount)
        )
        invoiced = self._dunning_get_invoiced_penalties(lines.move_id)
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        currency = self.currency_id
        invoice_line_vals, line_updates = [], {}
        for line in lines:
            interest_done, indemnity_done = invoiced.get(line.move_id, (0.0, 0.0))
            interest = currency.round(line.penalty_amount - interest_done)
            indemnity = 0.0 if indemnity_done else line.indemnity_amount
            if currency.compare_amounts(interest, 0) > 0:
                label = env._(
                    "Late-payment interest on %(invoice)s: %(basis)s",
                    invoice=line.move_id.name,
                    basis=line.penalty_note,
                )
                if interest_done:
                    label = env._(
                        "%(label)s; less %(amount)s already invoiced",
                        label=label,
                        amount=tools.formatLang(env, interest_done, currency_obj=currency),
                    )
                invoice_line_vals.append(self._prepare_penalty_invoice_line_vals(label, interest))
            else:
                interest = 0.0
            if currency.compare_amounts(indemnity, 0) > 0:
                invoice_line_vals.append(
                    self._prepare_penalty_invoice_line_vals(
                        env._(
                            "Flat indemnity for recovery costs, invoice %(invoice)s paid late "
                            "(outside the scope of VAT)",
                            invoice=line.move_id.name,
                        ),
                        indemnity,
                    )
                )
            if interest or indemnity:
                line_updates[line] = {
                    "penalty_invoiced_amount": interest,
                    "indemnity_invoiced_amount": indemnity,
                }
        if not invoice_line_vals:
            raise UserError(
                self.env._(
                    "Nothing left to invoice: the penalties and indemnities of these invoices "
                    "were already invoiced."
                )
            )
        Journal = self.env["account.journal"]
        journal = Journal.search(
            [*Journal._check_company_domain(self.company_id), ("type", "=", "sale")], limit=1
        )
        if not journal.default_account_id:
            raise UserError(
                self.env._(
                    "No sales journal with an income account in %(company)s to invoice the "
                    "penalties.",
                    company=self.company_id.name,
                )
            )
        invoice = (
            self.env["account.move"]
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "journal_id": journal.id,
                    "currency_id": currency.id,
                    "invoice_origin": self.name,
                    "invoice_line_ids": [
                        fields.Command.create({**vals, "account_id": journal.default_account_id.id})
                        for vals in invoice_line_vals
                    ],
                }
            )
        )
        for line, vals in line_updates.items():
            # Bookkeeping of what was invoiced, not a change of what was claimed.
            line.with_context(dunning_allow_sent_write=True).write(vals)
        self.with_context(dunning_allow_sent_write=True).penalty_invoice_id = invoice
        self._message_log(
            body=self.env._("Penalty invoice %(invoice)s created.", invoice=invoice.display_name)
        )
        return self.action_view_penalty_invoice()

    def _prepare_penalty_invoice_line_vals(self, label, amount):
        # No tax: interest and the flat indemnity are compensation, outside the
        # scope of VAT.
        return {
            "name": label,
            "quantity": 1.0,
            "price_unit": amount,
            "tax_ids": [fields.Command.clear()],
        }

    @api.model
    def _dunning_get_invoiced_penalties(self, moves):
        """What was already invoiced of each invoice's penalties, by penalty
        invoices not cancelled.

        :return: {account.move: (interest, indemnity)} in company currency
        """
        groups = self.env["dunning.reminder.line"]._read_group(
            [
                ("move_id", "in", moves.ids),
                ("reminder_id.penalty_invoice_id", "!=", False),
                ("reminder_id.penalty_invoice_id.state", "!=", "cancel"),
            ],
            ["move_id"],
            ["penalty_invoiced_amount:sum", "indemnity_invoiced_amount:sum"],
        )
        return {move: (interest, indemnity) for move, interest, indemnity in groups}

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------

    def _dunning_refresh(self):
        """Bring draft reminders up to date before they are sent or marked: drop
        the invoices paid since the reminder was prepared, stop reminding those
        paused or excluded since (still listed as outstanding when overdue),
        update what is left to pay, drop the credits used since and add the new
        ones, and cancel the reminders with no invoice left to remind.

        :return: the reminders still to send
        """
        today = self.env["account.move"]._dunning_today()
        self.env.flush_all()
        self.line_ids.move_id.invalidate_recordset(
            ["payment_state", "amount_residual", "amount_residual_signed"]
        )
        self.line_ids.move_line_id.invalidate_recordset(
            ["reconciled", "amount_residual", "amount_residual_currency"]
        )
        new_credits = self._dunning_get_new_credit_lines()
        invoice_bodies, partner_bodies = {}, defaultdict(list)
        for reminder in self:
            debit_lines = reminder.line_ids.filtered(lambda line: line.kind != "credit")
            settled = debit_lines.filtered(
                lambda line: line.move_id
                and (
                    line.move_id.payment_state in PAID_STATES
                    or line.move_id.currency_id.compare_amounts(line.move_id.amount_residual, 0)
                    <= 0
                )
            )
            # Paused or excluded since: no longer reminded, still outstanding.
            withheld = (debit_lines - settled).filtered(
                lambda line: line.kind == "level"
                and (
                    line.reminder_id.partner_id.dunning_excluded
                    or line.move_id.dunning_pause_reason
                    or line.move_id.dunning_excluded
                )
            )
            credit_lines = reminder.line_ids - debit_lines
            used = credit_lines.filtered(
                lambda line: not line.move_line_id
                or line.move_line_id.reconciled
                or line.move_line_id.company_currency_id.compare_amounts(
                    line.move_line_id.amount_residual, 0
                )
                >= 0
            )
            dropped = settled.filtered(lambda line: line.kind == "level").move_id
            withheld_moves = withheld.move_id
            (settled | used).unlink()
            not_due = withheld.filtered(lambda line: not line.date_due or line.date_due >= today)
            not_due.unlink()
            (withheld - not_due).write({"kind": "overdue", "level_id": False})
            for moves, text in (
                (
                    dropped,
                    self.env._(
                        "Paid since reminder %(reminder)s was prepared, removed from it: "
                        "%(names)s.",
                        reminder=reminder.name,
                        names=", ".join(dropped.mapped("name")),
                    ),
                ),
                (
                    withheld_moves,
                    self.env._(
                        "Paused or excluded since reminder %(reminder)s was prepared, no "
                        "longer reminded by it: %(names)s.",
                        reminder=reminder.name,
                        names=", ".join(withheld_moves.mapped("name")),
                    ),
                ),
            ):
                if moves:
                    reminder._message_log(body=text)
                    invoice_bodies.update(dict.fromkeys(moves.ids, text))
                    partner_bodies[reminder.partner_id.id].append(text)
            for line in reminder.line_ids:
                if line.kind == "credit":
                    source = line.move_line_id
                    vals = {
                        "amount_residual": source.amount_residual_currency,
                        "amount_residual_company": source.amount_residual,
                    }
                elif line.move_id:
                    vals = {
                        "amount_residual": line.move_id.amount_residual,
                        "amount_residual_company": line.move_id.amount_residual_signed,
                    }
                else:
                    continue
                if any(
                    line.currency_id.compare_amounts(line[fname], value)
                    for fname, value in vals.items()
                ):
                    line.write(vals)
            added = new_credits.get((reminder.partner_id.id, reminder.company_id.id), [])
            if added:
                reminder.write(
                    {
                        "line_ids": [
                            fields.Command.create(self._prepare_reminder_credit_line_vals(line))
                            for line in added
                        ]
                    }
                )
            if reminder.date != today:
                reminder.date = today
        if invoice_bodies:
            self.env["account.move"].browse(invoice_bodies)._message_log_batch(invoice_bodies)
            self.env["res.partner"].browse(partner_bodies)._message_log_batch(
                {pid: " ".join(texts) for pid, texts in partner_bodies.items()}
            )
        empty = self.filtered(lambda r: not r.level_line_ids)
        empty._dunning_cancel(
            self.env._(
                "Nothing left to remind: the invoices were paid, paused or excluded since "
                "the reminder was prepared."
            )
        )
        return self - empty

    def _dunning_get_new_credit_lines(self):
        """Credits (credit notes, payments not matched) of the customers of these
        reminders that are not listed on them yet, in one search.

        :return: {(partner id, company id): [account.move.line]}
        """
        if not self:
            return {}
        listed = set(self.line_ids.move_line_id.ids)
        result = defaultdict(list)
        for line in self._dunning_search_credit_lines(self.partner_id.ids, self.company_id.ids):
            if line.id not in listed:
                key = (line.move_id.commercial_partner_id.id, line.company_id.id)
                result[key].append(line)
        return result

    def _dunning_cancel(self, reason):
        """Cancel the reminders, saying why on them, their invoices and their
        customers. The invoices are examined again by the run of the next day."""
        self.write({"state": "cancelled", "cancel_reason": reason})
        moves = self.level_line_ids.move_id
        moves._dunning_write({"dunning_next_date": False})
        invoice_bodies, partner_bodies = {}, defaultdict(list)
        for reminder in self:
            reminder._message_log(body=reason)
            body = self.env._(
                "Reminder %(reminder)s cancelled: %(reason)s", reminder=reminder.name, reason=reason
            )
            invoice_bodies.update(dict.fromkeys(reminder.level_line_ids.move_id.ids, body))
            partner_bodies[reminder.partner_id.id].append(body)
        if invoice_bodies:
            moves._message_log_batch(invoice_bodies)
        if partner_bodies:
            self.partner_id._message_log_batch(
                {pid: " ".join(texts) for pid, texts in partner_bodies.items()}
            )

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
        """Who calls: the customer's dunning responsible, else its salesperson,
        else the call responsible of the level."""
        self.ensure_one()
        partner = self.partner_id
        return partner.dunning_responsible_id or partner.user_id or self.level_id.activity_user_id

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

    # ------------------------------------------------------------------
    # The daily run
    # ------------------------------------------------------------------

    @api.model
    def _cron_process_dunning(self, batch_size=None):
        """Daily run: one batch per call; the cron framework calls again while
        work remains (and commits in between)."""
        if batch_size is None:
            batch_size = int(
                self.env["ir.config_parameter"].sudo().get_param("dunning_scenario.batch_size", 200)
            )
        companies = self.env["res.company"].sudo().search([])
        done, remaining = self.sudo()._dunning_run_batch(companies, batch_size)
        self._dunning_notify_progress(done, remaining)

    @api.model
    def _dunning_notify_progress(self, done, remaining):
        """The one place reporting batch progress to the cron framework."""
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if remaining and not self.env.context.get("ir_cron_progress_id"):
            self.env.ref("dunning_scenario.ir_cron_dunning_process")._trigger()

    @api.model
    def _dunning_run(self, companies=None, batch_size=200):
        """Process everything now, in one transaction (tests, small databases)."""
        companies = companies or self.env.companies
        total = 0
        while True:
            done, remaining = self._dunning_run_batch(companies, batch_size)
            total += done
            if not remaining:
                return total

    @api.model
    def _dunning_run_batch(self, companies, batch_size):
        """Do one batch of work: first create the reminders of a batch of customers,
        then, once none is left, send a batch of reminders of auto-send scenarios.

        :return: (number of items done, number of items remaining)
        """
        today = self.env["account.move"]._dunning_today()
        self.env["account.move"]._dunning_resume_expired_pauses(today)
        keys = self._dunning_select_partners(companies, today, batch_size)
        if keys:
            self._dunning_generate(keys, today)
            remaining = self._dunning_select_partners(companies, today, None, count=True)
            return len(keys), remaining + self._dunning_to_send_count(companies)
        # Sending renders letters and emails: a batch stops after a time budget
        # (at least one reminder each), well inside the cron's time limit; the
        # framework calls again for what remains.
        budget = float(
            self.env["ir.config_parameter"].sudo().get_param("dunning_scenario.send_seconds", 60)
        )
        started = time.monotonic()
        to_send = self.search(self._get_dunning_autosend_domain(companies), limit=batch_size)
        done = 0
        for reminder in to_send:
            if done and time.monotonic() - started >= budget:
                break
            done += 1
            try:
                with self.env.cr.savepoint():
                    # The queues are woken once for the whole batch, below.
                    reminder.with_context(dunning_defer_wake=True).action_send()
            except Exception as error:  # noqa: BLE001 - one bad reminder must not stop the run
                _logger.warning("Reminder %s could not be sent: %s", reminder.name, error)
                reminder._message_log(
                    body=self.env._("Automatic sending failed: %(error)s", error=str(error))
                )
                reminder.with_context(dunning_allow_sent_write=True).write(
                    {"auto_send_failed": True}
                )
        if done:
            self._dunning_wake_queues()
        return done, self._dunning_to_send_count(companies)

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

    @api.model
    def _dunning_select_partners(self, companies, today, limit, count=False):
        """(customer, company) pairs having invoices to examine today: one query."""
        self.env.flush_all()
        where = SQL(
            """
              m.move_type = 'out_invoice'
          AND m.state = 'posted'
          AND m.payment_state NOT IN %(paid)s
          AND m.amount_residual > 0
          AND m.dunning_state IN ('none', 'reminded')
          AND NOT COALESCE(m.dunning_excluded, FALSE)
          AND m.company_id = ANY(%(companies)s)
          AND (m.dunning_next_date <= %(today)s
               OR (m.dunning_next_date IS NULL
                   AND (m.dunning_checked_date IS NULL OR m.dunning_checked_date < %(today)s)))
            """,
            paid=PAID_STATES,
            companies=companies.ids,
            today=today,
        )
        if count:
            self.env.cr.execute(
                SQL(
                    "SELECT COUNT(DISTINCT (m.commercial_partner_id, m.company_id)) "
                    "FROM account_move m WHERE %s",
                    where,
                )
            )
            return self.env.cr.fetchone()[0]
        self.env.cr.execute(
            SQL(
                """
                SELECT m.commercial_partner_id, m.company_id
                  FROM account_move m
                 WHERE %(where)s
                 GROUP BY m.commercial_partner_id, m.company_id
                 ORDER BY m.commercial_partner_id, m.company_id
                 LIMIT %(limit)s
                """,
                where=where,
                limit=limit,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _dunning_generate(self, keys, today):
        """Create the reminders of the given (customer, company) pairs."""
        Move = self.env["account.move"]
        partner_ids = list({partner_id for partner_id, __ in keys})
        company_ids = list({company_id for __, company_id in keys})
        wanted = set(keys)
        moves = Move.search(
            Move._get_dunning_open_domain()
            + [("commercial_partner_id", "in", partner_ids), ("company_id", "in", company_ids)],
            order="invoice_date_due, id",
        )
        credit_lines = self._dunning_search_credit_lines(partner_ids, company_ids)
        moves_by_key = defaultdict(lambda: Move)
        for move in moves:
            moves_by_key[(move.commercial_partner_id.id, move.company_id.id)] |= move
        credits_by_key = defaultdict(list)
        for line in credit_lines:
            credits_by_key[(line.move_id.commercial_partner_id.id, line.company_id.id)].append(line)

        partners = self.env["res.partner"].browse(partner_ids)
        companies = self.env["res.company"].browse(company_ids)
        scenario_by_company = {
            company.id: partners._dunning_get_effective_scenarios(company) for company in companies
        }
        previous_dates = self._dunning_previous_dates(partner_ids)
        levels_cache = {}
        plans = defaultdict(list)  # vals -> moves
        reminder_vals = []
        for key in sorted(wanted):
            partner_id, company_id = key
            partner = partners.browse(partner_id)
            candidates = moves_by_key[key]
            examined = candidates.filtered(
                lambda m: m.dunning_state in ("none", "reminded")
                and not m.dunning_excluded
                and (
                    (m.dunning_next_date and m.dunning_next_date <= today)
                    or (
                        not m.dunning_next_date
                        and (not m.dunning_checked_date or m.dunning_checked_date < today)
                    )
                )
            )
            scenario = scenario_by_company[company_id][partner_id]
            if not scenario or partner.dunning_excluded:
                plans[(today, False, False)].extend(examined.ids)
                continue
            if scenario.id not in levels_cache:
                levels_cache[scenario.id] = scenario._get_sorted_levels()
            levels = levels_cache[scenario.id]
            targets = {}
            for move in examined:
                level, next_date, next_level = move._dunning_plan(levels, scenario, today)
                if level and move.amount_residual_signed < scenario.min_amount:
                    level, next_date, next_level = False, False, False
                if level:
                    targets[move] = level
                plans[(today, next_date or False, next_level.id if next_level else False)].append(
                    move.id
                )
            if targets:
                reminder_vals.append(
                    self._prepare_reminder_vals(
                        partner,
                        scenario,
                        company_id,
                        today,
                        targets,
                        candidates,
                        credits_by_key[key],
                        previous_dates.get(partner_id),
                    )
                )
        for (checked, next_date, next_level_id), move_ids in plans.items():
            Move.browse(move_ids)._dunning_write(
                {
                    "dunning_checked_date": checked,
                    "dunning_next_date": next_date,
                    "dunning_next_level_id": next_level_id,
                }
            )
        reminders = self.with_context(**CREATE_CONTEXT).create(reminder_vals)
        reminders._dunning_log_created()
        return reminders

    @api.model
    def _dunning_search_credit_lines(self, partner_ids, company_ids):
        """Receivable lines of these customers that lower what they owe: credit
        notes and payments not fully matched with an invoice."""
        return self.env["account.move.line"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
                ("move_id.commercial_partner_id", "in", partner_ids),
                ("company_id", "in", company_ids),
            ],
            order="date, id",
        )

    @api.model
    def _prepare_reminder_credit_line_vals(self, line):
        return {
            "kind": "credit",
            "move_id": line.move_id.id,
            "move_line_id": line.id,
            "name": line.move_id.name or line.name or "/",
            "date": line.date,
            "currency_id": line.currency_id.id,
            "amount_total": line.amount_currency,
            "amount_residual": line.amount_residual_currency,
            "amount_residual_company": line.amount_residual,
        }

    @api.model
    def _dunning_previous_dates(self, partner_ids):
        groups = self._read_group(
            [("partner_id", "in", partner_ids), ("state", "=", "sent")],
            ["partner_id"],
            ["date:max"],
        )
        return {partner.id: date for partner, date in groups}

    @api.model
    def _prepare_reminder_vals(
        self, partner, scenario, company_id, today, targets, candidates, credit_lines, previous_date
    ):
        top_level = max(targets.values(), key=lambda level: (level.sequence, level.delay_days))
        line_commands = []
        for move, level in targets.items():
            line_commands.append(
                fields.Command.create(self._prepare_reminder_line_vals(move, today, "level", level))
            )
        for move in candidates:
            if move not in targets and move.invoice_date_due and move.invoice_date_due < today:
                line_commands.append(
                    fields.Command.create(self._prepare_reminder_line_vals(move, today, "overdue"))
                )
        for line in credit_lines:
            line_commands.append(
                fields.Command.create(self._prepare_reminder_credit_line_vals(line))
            )
        return {
            "partner_id": partner.id,
            "scenario_id": scenario.id,
            "level_id": top_level.id,
            "company_id": company_id,
            "date": today,
            "user_id": (partner.dunning_responsible_id or partner.user_id).id or False,
            "previous_date": previous_date,
            "line_ids": line_commands,
        }

    @api.model
    def _prepare_reminder_line_vals(self, move, today, kind, level=False):
        return {
            "kind": kind,
            "move_id": move.id,
            "name": move.name,
            "date": move.invoice_date,
            "date_due": move.invoice_date_due,
            "days_overdue": max((today - move.invoice_date_due).days, 0)
            if move.invoice_date_due
            else 0,
            "level_id": level.id if level else False,
            "currency_id": move.currency_id.id,
            "amount_total": move.amount_total,
            "amount_residual": move.amount_residual,
            "amount_residual_company": move.amount_residual_signed,
        }

    def _dunning_log_created(self):
        invoice_bodies, partner_bodies = {}, {}
        for reminder in self:
            for line in reminder.level_line_ids:
                invoice_bodies[line.move_id.id] = self.env._(
                    "To remind at level %(level)s with %(reminder)s.",
                    level=line.level_id.name,
                    reminder=reminder.name,
                )
            partner_bodies[reminder.partner_id.id] = self.env._(
                "Reminder %(reminder)s prepared (%(level)s) for %(invoices)s.",
                reminder=reminder.name,
                level=reminder.level_id.name,
                invoices=", ".join(reminder.level_line_ids.move_id.mapped("name")),
            )
        if invoice_bodies:
            self.level_line_ids.move_id._message_log_batch(invoice_bodies)
            self.partner_id._message_log_batch(partner_bodies)

    # ------------------------------------------------------------------
    # Letters
    # ------------------------------------------------------------------

    # Days given to pay when the company sets no formal-notice deadline.
    _dunning_default_payment_days = 8
    # Ceiling (EUR) of the French simplified procedure for small claims.
    _dunning_small_claims_limit = 5000

    # Whether wkhtmltopdf prints the layout's header and footer (cached per process).
    _dunning_wkhtmltopdf_patched = None

    @api.model
    def _dunning_pdf_prints_header(self):
        """Whether wkhtmltopdf prints the report layout's header and footer (logo,
        company details): only builds on a patched Qt do. On the others (Debian's
        package), the letters print the logo and company details in the page body
        instead, so that a posted letter always says who sends it."""
        cls = type(self)
        if cls._dunning_wkhtmltopdf_patched is None:
            binary = tools.find_in_path("wkhtmltopdf")
            version = ""
            if binary:
                try:
                    version = subprocess.run(
                        [binary, "--version"],
                        capture_output=True,
                        text=True,
                        timeout=30,
                        check=False,
                    ).stdout
                except (OSError, subprocess.SubprocessError):
                    version = ""
            cls._dunning_wkhtmltopdf_patched = "patched qt" in version.lower()
        return cls._dunning_wkhtmltopdf_patched

    def _get_dunning_letter_kind(self):
        """Which letter the level of this reminder calls for, from the gentlest
        to the firmest: ``courtesy`` (before the due date), ``reminder``,
        ``second``, ``further``, ``formal_notice``, ``litigation``."""
        self.ensure_one()
        level = self.level_id
        if level.is_litigation:
            return "litigation"
        if level.is_formal_notice:
            return "formal_notice"
        if level.delay_days < 0:
            return "courtesy"
        earlier = self.scenario_id._get_sorted_levels().filtered(
            lambda lvl: (
                lvl.delay_days >= 0
                and lvl.delay_days < level.delay_days
                and not lvl.is_formal_notice
                and not lvl.is_litigation
            )
        )
        return ("reminder", "second")[len(earlier)] if len(earlier) < 2 else "further"

    def _get_dunning_letter_partner(self):
        """The contact the letter is addressed to: the customer's invoice address."""
        self.ensure_one()
        partner = self.partner_id
        invoice_address = partner.browse(partner.address_get(["invoice"])["invoice"])
        if invoice_address.street or invoice_address.city:
            return invoice_address
        return partner

    def _get_dunning_pay_by_date(self):
        """The date the letter asks the customer to pay by: the due date for a
        courtesy notice, else the reminder's date plus the company's
        formal-notice deadline (8 days when not set)."""
        self.ensure_one()
        if self._get_dunning_letter_kind() == "courtesy":
            due_dates = [d for d in self.level_line_ids.mapped("date_due") if d]
            if due_dates:
                return min(due_dates)
        days = self.company_id.dunning_formal_notice_days or self._dunning_default_payment_days
        return fields.Date.add(self.date, days=days)

    def _is_dunning_small_claim(self, amount):
        """Whether ``amount`` (company currency) can go through the French
        simplified procedure for small claims (up to 5,000 €)."""
        self.ensure_one()
        eur = self.env.ref("base.EUR", raise_if_not_found=False)
        if not eur:
            return False
        amount_eur = self.currency_id._convert(amount, eur, self.company_id, self.date)
        return eur.compare_amounts(amount_eur, self._dunning_small_claims_limit) <= 0

    def _get_dunning_letter_filename(self):
        self.ensure_one()
        level_name = self.level_id.with_context(lang=self.partner_id.lang).name
        name = f"{self.name} - {self.partner_id.name} - {level_name}"
        return name.replace("/", "-") + ".pdf"

    def _dunning_attach_letter(self):
        """Render the letter of this reminder and keep it as an attachment of
        the reminder: the proof of what was sent.

        :return: the ir.attachment created
        """
        self.ensure_one()
        pdf_content, __ = (
            self.env["ir.actions.report"]
            .with_context(lang=self.partner_id.lang)
            ._render_qweb_pdf("dunning_scenario.dunning_letter_report", self.ids)
        )
        return self.env["ir.attachment"].create(
            {
                "name": self._get_dunning_letter_filename(),
                "type": "binary",
                "raw": pdf_content,
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )

    @api.model
    def _get_dunning_litigation_values(self, partner):
        """What the litigation file of ``partner`` shows, for the current company:
        the invoices in litigation (else all its overdue open invoices), the
        reminders sent for them, their latest reminder line (penalties to date)
        and the letters kept as proofs."""
        partner = partner.commercial_partner_id
        Move = self.env["account.move"]
        company = self.env.company
        base_domain = [
            ("commercial_partner_id", "=", partner.id),
            ("company_id", "=", company.id),
        ]
        invoices = Move.search(
            base_domain + [("dunning_state", "=", "litigation")],
            order="invoice_date_due, id",
        )
        if not invoices:
            invoices = Move.search(
                base_domain
                + Move._get_dunning_open_domain()
                + [("invoice_date_due", "<", Move._dunning_today())],
                order="invoice_date_due, id",
            )
        lines = self.env["dunning.reminder.line"].search(
            [
                ("move_id", "in", invoices.ids),
                ("reminder_id.state", "=", "sent"),
            ]
        )
        reminders = lines.reminder_id.sorted(lambda r: (r.date, r.id))
        latest_lines = {}
        for line in lines.sorted(lambda ln: (ln.reminder_id.date, ln.reminder_id.id)):
            latest_lines[line.move_id] = line
        proofs = self.env["ir.attachment"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", reminders.ids),
                ("mimetype", "=", "application/pdf"),
            ],
            order="create_date, id",
        )
        return {
            "today": Move._dunning_today(),
            "partner": partner,
            "company": company,
            "invoices": invoices,
            "reminders": reminders,
            "latest_lines": latest_lines,
            "proofs": proofs,
        }
