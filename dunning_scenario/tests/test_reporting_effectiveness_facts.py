# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The facts the effectiveness report reads from the reminders and their lines
(instead of the invoices) follow the payments and the channels."""

from odoo.tests import tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestEffectivenessFacts(DunningCommon):
    """Acme reminded at "First reminder" on 16 February 2026 (marked as
    reminded) for two invoices of 1,000 and 3,000 due on 1 February."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.acme = cls.customer_company
        cls.f1 = cls._create_invoice(cls.acme, "2026-02-01", 1000.0)
        cls.f2 = cls._create_invoice(cls.acme, "2026-02-01", 3000.0)

    def _figures(self):
        Report = self.env["dunning.effectiveness.report"].with_user(self.accountant)
        (group,) = Report.read_group(
            [("company_id", "=", self.company.id)],
            ["reminder_count", "amount_paid_7", "share_paid_7", "days_to_payment"],
            [],
        )
        return (
            group["reminder_count"],
            group["amount_paid_7"],
            group["share_paid_7"],
            group["days_to_payment"],
        )

    def test_paid_date_follows_the_payment(self):
        reminder = self._run_and_mark("2026-02-16")
        lines = reminder.line_ids.filtered(lambda line: line.kind == "level")
        self.assertEqual(lines.move_id, self.f1 | self.f2)
        self.assertFalse(any(lines.mapped("move_paid_date")))
        self.assertEqual(self._figures(), (1, 0.0, 0.0, False))

        payment = self._pay(self.f1, 1000.0, "2026-02-20")
        line_f1 = lines.filtered(lambda line: line.move_id == self.f1)
        self.assertEqual(line_f1.move_paid_date, self._d("2026-02-20"))
        self.assertEqual(self._figures(), (1, 1000.0, 50.0, 4.0))

        # A partial payment does not make an invoice paid.
        self._pay(self.f2, 1000.0, "2026-02-21")
        self.assertFalse((lines - line_f1).move_paid_date)
        self.assertEqual(self._figures(), (1, 1000.0, 50.0, 4.0))

        # The payment cancelled: the invoice is due again, the report says so.
        payment.action_draft()
        self.assertEqual(self.f1.payment_state, "not_paid")
        self.assertFalse(line_f1.move_paid_date)
        self.assertEqual(self._figures(), (1, 0.0, 0.0, False))

    def test_channels_done(self):
        Reminder = self.env["dunning.reminder"]
        statuses = {
            "email_status": "done",
            "sms_status": "queued",
            "letter_status": "to_post",
            "call_status": "error",
            "reminded_by": "send",
        }
        self.assertEqual(Reminder.new(statuses).dunning_channels_done, 1 | 4)
        statuses.update(email_status="error", sms_status="done", letter_status="done")
        self.assertEqual(Reminder.new(statuses).dunning_channels_done, 2 | 4)
        statuses.update(sms_status="none", letter_status="none", call_status="done")
        self.assertEqual(Reminder.new(statuses).dunning_channels_done, 8)
        reminder = self._run_and_mark("2026-02-16")
        self.assertEqual(reminder.dunning_channels_done, 16)
