# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

from ..models.account_move import PAID_STATES


class DunningCallLog(models.TransientModel):
    _name = "dunning.call.log"
    _description = "Log a Reminder Phone Call"

    reminder_id = fields.Many2one("dunning.reminder", required=True, readonly=True)
    partner_id = fields.Many2one(related="reminder_id.partner_id", string="Customer")
    mobile = fields.Char(related="reminder_id.partner_id.mobile")
    phone = fields.Char(related="reminder_id.partner_id.phone")
    outcome = fields.Selection(
        [
            ("reached", "Reached"),
            ("voicemail", "Voicemail"),
            ("promise", "Promise to pay"),
            ("dispute", "Dispute"),
            ("wrong_number", "Wrong number"),
        ],
        required=True,
        default="reached",
    )
    promise_date = fields.Date(
        string="Promised Payment Date",
        help="Reminders of the invoices are paused until this day.",
    )
    dispute_reason = fields.Char(
        help="What the customer disputes; reminders of the invoices are paused until "
        "someone resumes them.",
    )
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_move_ids",
        store=True,
        readonly=False,
        help="Invoices whose reminders are paused by a promise to pay or a dispute.",
    )
    note = fields.Text()

    @api.depends("reminder_id")
    def _compute_move_ids(self):
        for wizard in self:
            wizard.move_ids = wizard.reminder_id.line_ids.filtered(
                lambda line: (
                    line.kind != "credit"
                    and line.move_id.move_type == "out_invoice"
                    and line.move_id.payment_state not in PAID_STATES
                )
            ).move_id

    @api.constrains("outcome", "promise_date", "dispute_reason", "move_ids")
    def _check_outcome(self):
        today = self.env["account.move"]._dunning_today()
        for wizard in self:
            if wizard.outcome == "promise":
                if not wizard.promise_date:
                    raise ValidationError(
                        self.env._("A promise to pay needs the date the customer promised.")
                    )
                if wizard.promise_date <= today:
                    raise ValidationError(
                        self.env._("The promised payment date must be after today.")
                    )
            if wizard.outcome == "dispute" and not wizard.dispute_reason:
                raise ValidationError(self.env._("A dispute needs its reason."))
            if wizard.outcome in ("promise", "dispute") and not wizard.move_ids:
                raise ValidationError(
                    self.env._("Choose the invoices the promise or the dispute is about.")
                )

    def _get_outcome_text(self):
        self.ensure_one()
        outcome = dict(self._fields["outcome"]._description_selection(self.env))[self.outcome]
        if self.outcome == "promise":
            text = self.env._(
                "Phone call to %(customer)s: %(outcome)s by %(date)s (%(invoices)s).",
                customer=self.partner_id.name,
                outcome=outcome,
                date=format_date(self.env, self.promise_date),
                invoices=", ".join(self.move_ids.mapped("name")),
            )
        elif self.outcome == "dispute":
            text = self.env._(
                "Phone call to %(customer)s: %(outcome)s (%(invoices)s): %(reason)s",
                customer=self.partner_id.name,
                outcome=outcome,
                invoices=", ".join(self.move_ids.mapped("name")),
                reason=self.dispute_reason,
            )
        else:
            text = self.env._(
                "Phone call to %(customer)s: %(outcome)s.",
                customer=self.partner_id.name,
                outcome=outcome,
            )
        if self.note:
            text = f"{text} {self.note}"
        return text

    def action_log(self):
        """Record the outcome on the reminder and the customer, pause the invoices
        for a promise or a dispute, and mark the call activity as done."""
        self.ensure_one()
        reminder = self.reminder_id
        text = self._get_outcome_text()
        if self.outcome == "promise":
            self.move_ids._dunning_pause("promise", self.promise_date, self.note)
        elif self.outcome == "dispute":
            self.move_ids._dunning_pause("dispute", False, self.dispute_reason)
        elif self.outcome == "wrong_number":
            # Retrying the call channel plans a new call once the number is fixed.
            reminder._dunning_write_proof(
                {
                    "call_status": "error",
                    "call_error": self.env._(
                        "Wrong number: correct the phone numbers of %(customer)s.",
                        customer=self.partner_id.display_name,
                    ),
                }
            )
        call_type = self.env.ref("mail.mail_activity_data_call")
        activity = reminder.activity_ids.filtered(
            lambda act: act.activity_type_id == call_type
        ).sorted("date_deadline")[:1]
        if activity:
            activity.action_feedback(feedback=text)
        else:
            reminder._message_log(body=text)
        reminder.partner_id._message_log(
            body=self.env._("%(reminder)s: %(text)s", reminder=reminder.name, text=text)
        )
        return {"type": "ir.actions.act_window_close"}
