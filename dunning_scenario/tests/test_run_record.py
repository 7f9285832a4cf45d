# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The record of each daily run: one per company and day, with its batches,
what it prepared and sent, and what failed."""

from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DunningCommon

DUE = "2026-03-31"
FIRST = "2026-04-15"


@tagged("post_install", "-at_install")
class TestRunRecord(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_invoice(cls.customer_company, DUE, 1000.0)
        cls._create_invoice(cls.customer_individual, "2026-04-05", 300.0)
        cls._create_invoice(cls.customer_plain, DUE, 200.0)

    def _cron(self, batch_size):
        """Call the scheduled job as the cron worker does, until no work remains."""
        Reminder = self.env["dunning.reminder"]
        for __ in range(20):
            with patch.object(
                type(self.env["ir.cron"]), "_notify_progress", autospec=True
            ) as notify:
                Reminder._cron_process_dunning(batch_size=batch_size)
            if not notify.call_args or not notify.call_args.kwargs["remaining"]:
                return
        self.fail("the daily run never ends")

    def _runs(self):
        return self.env["dunning.run"].search([("company_id", "=", self.company.id)])

    def test_run_recorded_batch_by_batch(self):
        # Three customers, two per batch: two batches, three reminders, done.
        with self._frozen(FIRST):
            self._cron(batch_size=2)
        run = self._runs()
        self.assertEqual(len(run), 1)
        self.assertEqual(run.date, self._d(FIRST))
        self.assertEqual(run.state, "done")
        self.assertEqual(run.batch_count, 2)
        self.assertEqual(run.reminder_created_count, 3)
        self.assertEqual(run.reminder_sent_count, 0)
        self.assertEqual(run.error_count, 0)
        self.assertTrue(run.started_at and run.ended_at)
        self.assertEqual(len(run.batch_log.splitlines()), 2)
        reminders = self.env["dunning.reminder"].search([("company_id", "=", self.company.id)])
        self.assertEqual(len(reminders), 3)
        self.assertEqual(reminders.run_id, run)
        action = run.action_view_reminders()
        self.assertEqual(self.env["dunning.reminder"].search(action["domain"]), reminders)

    def test_one_record_per_day(self):
        # Called again the same day: the same record gets the (empty) batch; the
        # next day gets its own record.
        with self._frozen(FIRST):
            self._cron(batch_size=200)
            self._cron(batch_size=200)
        run = self._runs()
        self.assertEqual(len(run), 1)
        self.assertEqual(run.batch_count, 2)
        self.assertEqual(run.reminder_created_count, 3)
        with self._frozen("2026-04-16"):
            self._cron(batch_size=200)
        self.assertEqual(len(self._runs()), 2)

    def test_automatic_sending_counted(self):
        self.scenario_business.auto_send = True
        self.level_first.write(
            {
                "send_email": True,
                "mail_template_id": self.env.ref("dunning_scenario.mail_template_dunning_first").id,
            }
        )
        with self._frozen("2026-04-17"):
            self._cron(batch_size=200)
        run = self._runs()
        # Acme and the plain customer follow the automatic Companies scenario.
        self.assertEqual(run.reminder_created_count, 3)
        self.assertEqual(run.reminder_sent_count, 2)
        self.assertEqual(run.state, "done")

    def test_failed_batch_recorded(self):
        # A batch failing is undone, and the run says so, with the error.
        Reminder = type(self.env["dunning.reminder"])
        with (
            self._frozen(FIRST),
            patch.object(Reminder, "_dunning_generate", side_effect=ValueError("disk full")),
            mute_logger("odoo.addons.dunning_scenario.models.dunning_run"),
        ):
            self.env["dunning.reminder"]._cron_process_dunning(batch_size=200)
        run = self._runs()
        self.assertEqual(run.state, "failed")
        self.assertEqual(run.error_count, 1)
        self.assertIn("disk full", run.error_log)
        self.assertFalse(self.env["dunning.reminder"].search([]))
        # The next call works and completes the same record.
        with self._frozen(FIRST):
            self._cron(batch_size=200)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.reminder_created_count, 3)
        self.assertEqual(run.error_count, 1)

    def test_accountant_reads_runs_only(self):
        with self._frozen(FIRST):
            self._cron(batch_size=200)
        run = self._runs().with_user(self.accountant)
        self.assertEqual(run.reminder_created_count, 3)
        menu = self.env.ref("dunning_scenario.dunning_run_menu")
        visible = self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        with self.assertRaises(AccessError):
            run.write({"error_count": 0})
        with self.assertRaises(AccessError):
            run.unlink()
