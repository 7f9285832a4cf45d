# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Which level an invoice reaches, to the day.

Every invoice here is due on Tuesday 2026-03-31 and follows the test
"Companies" scenario: courtesy notice J-2 (03-29), first reminder J+15 (04-15),
second reminder J+30 (04-30), formal notice J+45 (05-15), litigation J+60
(05-30), at least 7 days between two reminders of an invoice.
"""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DunningCommon

DUE = "2026-03-31"


@tagged("post_install", "-at_install")
class TestDunningLevels(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._create_invoice(cls.customer_company, DUE, 1000.0)

    def assertRemindedAt(self, reminders, level, invoice=None):
        invoice = invoice or self.invoice
        self.assertEqual(len(reminders), 1)
        self.assertEqual(self._level_lines(reminders), {invoice: level})
        self.assertEqual(reminders.level_id, level)
        self.assertEqual(reminders.state, "draft")
        self.assertEqual(invoice.dunning_state, "to_remind")

    def assertNotRemindedUntil(self, reminders, next_date, next_level):
        self.assertFalse(reminders)
        self.assertEqual(self.invoice.dunning_next_date, self._d(next_date))
        self.assertEqual(self.invoice.dunning_next_level_id, next_level)

    # ------------------------------------------------------------------
    # Courtesy notice, J-2 = 2026-03-29
    # ------------------------------------------------------------------

    def test_courtesy_day_before(self):
        # 03-28: one day too early; planned for 03-29.
        reminders = self._run("2026-03-28")
        self.assertNotRemindedUntil(reminders, "2026-03-29", self.level_courtesy)
        self.assertEqual(self.invoice.dunning_state, "none")

    def test_courtesy_on_the_day(self):
        # 03-29: J-2, the courtesy notice.
        self.assertRemindedAt(self._run("2026-03-29"), self.level_courtesy)

    def test_courtesy_day_after(self):
        # 03-30: still before the due date, the courtesy notice is still useful.
        self.assertRemindedAt(self._run("2026-03-30"), self.level_courtesy)

    def test_courtesy_on_due_date(self):
        # 03-31: due today, not overdue yet: still the courtesy notice.
        self.assertRemindedAt(self._run("2026-03-31"), self.level_courtesy)

    def test_pre_due_level_never_used_once_overdue(self):
        # 04-01: one day late; the courtesy notice is pointless now, and the
        # first reminder is only due on 04-15.
        reminders = self._run("2026-04-01")
        self.assertNotRemindedUntil(reminders, "2026-04-15", self.level_first)
        self.assertEqual(self.invoice.dunning_state, "none")
        self.assertFalse(self.invoice.dunning_level_id)

    # ------------------------------------------------------------------
    # First reminder, J+15 = 2026-04-15
    # ------------------------------------------------------------------

    def test_first_reminder_day_before(self):
        # 04-14: 14 days late, the first reminder comes tomorrow.
        reminders = self._run("2026-04-14")
        self.assertNotRemindedUntil(reminders, "2026-04-15", self.level_first)

    def test_first_reminder_on_the_day(self):
        # 04-15: 15 days late, first reminder.
        reminders = self._run("2026-04-15")
        self.assertRemindedAt(reminders, self.level_first)
        self.assertEqual(reminders.level_line_ids.days_overdue, 15)

    def test_first_reminder_day_after(self):
        # 04-16: 16 days late, still the first reminder.
        reminders = self._run("2026-04-16")
        self.assertRemindedAt(reminders, self.level_first)
        self.assertEqual(reminders.level_line_ids.days_overdue, 16)

    def test_first_reminder_after_courtesy(self):
        # Courtesy notice done on 03-29; nothing on 04-14; first reminder on 04-15.
        self._run_and_mark("2026-03-29")
        self.assertEqual(self.invoice.dunning_next_date, self._d("2026-04-15"))
        self.assertNotRemindedUntil(self._run("2026-04-14"), "2026-04-15", self.level_first)
        self.assertRemindedAt(self._run("2026-04-15"), self.level_first)

    # ------------------------------------------------------------------
    # Skipping levels whose moment passed long ago
    # ------------------------------------------------------------------

    def test_found_35_days_late_gets_second_reminder(self):
        # 05-05: 35 days late, J+15 is skipped, the J+30 reminder is sent.
        self.assertRemindedAt(self._run("2026-05-05"), self.level_second)

    def test_found_50_days_late_gets_friendly_level_first(self):
        # 05-20: 50 days late, past the formal notice (J+45), but nobody ever
        # reminded this invoice: first contact is the highest friendly level
        # reached (second reminder, J+30), never a formal notice. The formal
        # notice follows the minimum interval (7 days) later: 05-27.
        reminders = self._run("2026-05-20")
        self.assertRemindedAt(reminders, self.level_second)
        self.assertEqual(reminders.previous_reminder_count, 0)
        self._mark(reminders, "2026-05-20")
        self.assertEqual(self.invoice.dunning_level_id, self.level_second)
        self.assertEqual(self.invoice.dunning_count, 1)
        self.assertFalse(self.invoice.dunning_formal_notice_date)
        self.assertEqual(self.invoice.dunning_next_level_id, self.level_formal_notice)
        self.assertEqual(self.invoice.dunning_next_date, self._d("2026-05-27"))
        self.assertFalse(self._run("2026-05-26"))
        reminders = self._run("2026-05-27")
        self.assertRemindedAt(reminders, self.level_formal_notice)
        self.assertEqual(reminders.previous_reminder_count, 1)
        self._mark(reminders, "2026-05-27")
        self.assertEqual(self.invoice.dunning_formal_notice_date, self._d("2026-05-27"))

    def test_found_70_days_late_formal_notice_before_litigation(self):
        # 06-09: 70 days late, past J+60, first contact: second reminder. The
        # formal notice comes 7 days later (06-16); litigation only once the
        # formal notice's payment deadline (8 days, 06-24) has passed: 06-25.
        reminders = self._run("2026-06-09")
        self.assertRemindedAt(reminders, self.level_second)
        self._mark(reminders, "2026-06-09")
        self.assertEqual(self.invoice.dunning_next_level_id, self.level_formal_notice)
        self.assertEqual(self.invoice.dunning_next_date, self._d("2026-06-16"))
        self.assertFalse(self._run("2026-06-15"))
        reminders = self._run("2026-06-16")
        self.assertRemindedAt(reminders, self.level_formal_notice)
        self._mark(reminders, "2026-06-16")
        self.assertEqual(self.invoice.dunning_next_level_id, self.level_litigation)
        self.assertEqual(self.invoice.dunning_next_date, self._d("2026-06-25"))
        self.assertFalse(self._run("2026-06-24"))
        reminders = self._run("2026-06-25")
        self.assertRemindedAt(reminders, self.level_litigation)
        self._mark(reminders, "2026-06-25")
        self.assertEqual(self.invoice.dunning_state, "litigation")
        self.assertFalse(self.invoice.dunning_next_date)
        # Litigation is the end: no more reminders.
        self.assertFalse(self._run("2026-08-01"))

    # ------------------------------------------------------------------
    # Minimum interval between two reminders (7 days)
    # ------------------------------------------------------------------

    def test_min_interval_delays_next_level(self):
        # First reminder on 04-27 (found 27 days late). The second reminder
        # (J+30 = 04-30) waits until 04-27 + 7 = 05-04.
        self._run_and_mark("2026-04-27")
        self.assertEqual(self.invoice.dunning_level_id, self.level_first)
        self.assertEqual(self.invoice.dunning_next_date, self._d("2026-05-04"))
        self.assertEqual(self.invoice.dunning_next_level_id, self.level_second)
        self.assertFalse(self._run("2026-04-30"))
        self.assertFalse(self._run("2026-05-03"))
        self.assertRemindedAt(self._run("2026-05-04"), self.level_second)

    def test_min_interval_when_schedule_forgotten(self):
        # Same as above, but the schedule is recomputed from scratch (settings
        # changed on 04-28): the minimum interval still holds until 05-04.
        self._run_and_mark("2026-04-27")
        self.scenario_business.min_amount = 0.0  # any change resets the schedule
        self.scenario_business.write({"sequence": 11})
        self.assertFalse(self.invoice.dunning_next_date)
        self.assertFalse(self._run("2026-04-30"))
        self.assertEqual(self.invoice.dunning_next_date, self._d("2026-05-04"))
        self.assertRemindedAt(self._run("2026-05-04"), self.level_second)

    def test_shorter_min_interval_applies_at_once(self):
        # First reminder on 04-27, second planned on 05-04. On 04-28 the
        # interval is cut to 2 days: the second reminder comes on 04-30 (J+30).
        self._run_and_mark("2026-04-27")
        self.scenario_business.min_interval_days = 2
        self.assertRemindedAt(self._run("2026-04-30"), self.level_second)

    def test_removed_level_reschedules(self):
        # Second reminder planned on 04-30; the level is deleted: the formal
        # notice (J+45) comes on 05-15 and nothing happens on 04-30.
        self._run_and_mark("2026-04-15")
        self.level_second.unlink()
        self.assertFalse(self._run("2026-04-30"))
        self.assertEqual(self.invoice.dunning_next_level_id, self.level_formal_notice)
        self.assertRemindedAt(self._run("2026-05-15"), self.level_formal_notice)

    # ------------------------------------------------------------------
    # Mark as reminded
    # ------------------------------------------------------------------

    def test_mark_as_reminded_advances_one_level(self):
        # 04-15 first reminder marked; 04-30 second reminder marked: the invoice
        # is then at J+30 exactly (not further), reminded twice, next the
        # formal notice on 05-15.
        self._run_and_mark("2026-04-15")
        self.assertEqual(self.invoice.dunning_level_id, self.level_first)
        self.assertEqual(self.invoice.dunning_count, 1)
        self.assertEqual(self.invoice.dunning_last_date, self._d("2026-04-15"))
        self.assertEqual(self.invoice.dunning_next_date, self._d("2026-04-30"))
        self.assertEqual(self.invoice.dunning_next_level_id, self.level_second)
        reminders = self._run("2026-04-30")
        self._mark(reminders, "2026-04-30")
        self.assertEqual(reminders.state, "sent")
        self.assertEqual(reminders.reminded_by, "mark")
        self.assertEqual(self.invoice.dunning_state, "reminded")
        self.assertEqual(self.invoice.dunning_level_id, self.level_second)
        self.assertEqual(self.invoice.dunning_count, 2)
        self.assertEqual(self.invoice.dunning_last_date, self._d("2026-04-30"))
        self.assertEqual(self.invoice.dunning_next_date, self._d("2026-05-15"))
        self.assertEqual(self.invoice.dunning_next_level_id, self.level_formal_notice)
        self.assertFalse(self.invoice.dunning_formal_notice_date)

    def test_mark_as_reminded_late_counts_from_marking_day(self):
        # Prepared on 04-15 but marked on 04-25 only: the last reminder date is
        # 04-25, so the second reminder (04-30) waits until 04-25 + 7 = 05-02.
        reminders = self._run("2026-04-15")
        self._mark(reminders, "2026-04-25")
        self.assertEqual(self.invoice.dunning_last_date, self._d("2026-04-25"))
        self.assertEqual(self.invoice.dunning_next_date, self._d("2026-05-02"))
        self.assertEqual(self.invoice.dunning_next_level_id, self.level_second)

    # ------------------------------------------------------------------
    # Configuration checks
    # ------------------------------------------------------------------

    def test_delays_must_strictly_increase(self):
        # A level at J+15 after the J+30 one, or two levels on the same day: refused.
        with self.assertRaises(ValidationError):
            self.level_second.delay_days = 10
        with self.assertRaises(ValidationError):
            self.env["dunning.level"].create(
                {
                    "scenario_id": self.scenario_business.id,
                    "sequence": 25,
                    "name": "Same day as the first reminder",
                    "delay_days": 15,
                }
            )

    def test_litigation_level_must_be_last(self):
        with self.assertRaises(ValidationError):
            self.env["dunning.level"].create(
                {
                    "scenario_id": self.scenario_business.id,
                    "sequence": 60,
                    "name": "After litigation",
                    "delay_days": 90,
                }
            )
        with self.assertRaises(ValidationError):
            self.level_second.is_litigation = True
