# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What is asked, when, and by whom: nothing asked when nothing is owed, one
reminder a customer and currency a day, messages only inside the sending
window, calls always given to somebody, and the SMS short link.

Invoices are due on 2026-03-31 and follow the test "Companies" scenario: first
reminder on 2026-04-15 (J+15), a Wednesday.
"""

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import DunningCommon

DUE = "2026-03-31"
FIRST = "2026-04-15"


@tagged("post_install", "-at_install")
class TestTruth(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.customer_company
        cls.invoice = cls._create_invoice(cls.customer, DUE, 1000.0)

    def test_credits_covering_the_debt_ask_nothing(self):
        # 1,000 overdue, a 1,300 credit note: net -300. No reminder; the reason
        # is on the invoice.
        self._create_credit_note(self.customer, 1300.0, "2026-04-01")
        self.assertFalse(self._run(FIRST))
        self.assertIn("cover its overdue invoices", self.invoice.dunning_skip_reason)
        self.assertIn("1,300.00", self.invoice.dunning_skip_reason)

    def test_credit_arriving_before_sending_blocks_the_reminder(self):
        # Prepared while 1,000 was owed; a 1,000 payment arrives, not matched:
        # the reminder cannot be sent, says why, and stays to remind.
        reminder = self._run(FIRST)
        self.assertEqual(reminder.amount_claimed, 1000.0)
        self._create_unreconciled_payment(self.customer, 1000.0, FIRST)
        with self.assertRaisesRegex(UserError, "cover the overdue invoices"):
            self._send(reminder, FIRST)
        self.assertEqual(reminder.state, "draft")
        self.assertIn("Nothing to ask", reminder.send_blocked_reason)

    def test_automatic_sending_rechecks_before_sending(self):
        self.scenario_business.auto_send = True
        self.level_first.send_email = True
        with self._frozen(FIRST):
            Reminder = self.env["dunning.reminder"].with_user(self.accountant)
            companies = self.accountant.company_ids
            Reminder._dunning_run_batch(companies, 200)  # prepares
            reminder = Reminder.search([("partner_id", "=", self.customer.id)])
            self._create_unreconciled_payment(self.customer, 1000.0, FIRST)
            Reminder._dunning_run_batch(companies, 200)  # would send
        self.assertEqual(reminder.state, "draft")
        self.assertTrue(reminder.auto_send_failed)
        self.assertIn("Not sent automatically", " ".join(self._messages(reminder)))

    def test_one_reminder_a_day_for_a_customer(self):
        # Sent at 10:00 on the first level; the scenario's levels are already
        # due for another invoice reaching J+30 the same day: it waits for
        # tomorrow, whatever the minimum interval.
        self.scenario_business.min_interval_days = 0
        other = self._create_invoice(self.customer, "2026-03-16", 500.0)
        reminder = self._run(FIRST)
        self.assertEqual(set(reminder.level_line_ids.move_id.ids), {self.invoice.id, other.id})
        self._mark(reminder, FIRST)
        # A re-planning (a level changed) makes the invoices due again today.
        self.env["account.move"]._dunning_reset_schedule()
        self.assertFalse(self._run(FIRST))
        self.assertEqual(self.invoice.dunning_next_date, self._d("2026-04-16"))

    def test_sending_window(self):
        # 06:00 in Paris (04:00 UTC) on a Wednesday: nothing leaves; the run is
        # called again at 08:00 Paris (06:00 UTC). At 10:00 Paris it is sent.
        self.scenario_business.auto_send = True
        self.company.partner_id.tz = "Europe/Paris"
        Reminder = self.env["dunning.reminder"].with_user(self.accountant)
        companies = self.accountant.company_ids
        cron = self.env.ref("dunning_scenario.ir_cron_dunning_process")
        with freeze_time("2026-04-15 04:00:00"):
            Reminder._dunning_run(companies)
            triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        reminder = Reminder.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(reminder.state, "draft")
        self.assertIn("2026-04-15 06:00:00", [str(t.call_at) for t in triggers])
        with freeze_time("2026-04-15 08:00:00"):
            Reminder._dunning_run(companies)
        self.assertEqual(reminder.state, "sent")
        # Saturday 2026-04-18 at noon: closed unless weekends are allowed.
        self.assertFalse(self.company._dunning_in_sending_window(self._dt("2026-04-18 12:00")))
        self.company.dunning_send_weekend = True
        self.assertTrue(self.company._dunning_in_sending_window(self._dt("2026-04-18 12:00")))

    @staticmethod
    def _dt(value):
        return fields.Datetime.to_datetime(value)

    def test_call_goes_to_the_credit_controller(self):
        # No responsible, no salesperson, no call responsible on the level: the
        # company's credit controller gets the call.
        self.level_first.create_activity = True
        self.company.dunning_credit_controller_id = self.accountant
        reminder = self._run(FIRST)
        self._send(reminder, FIRST)
        self.assertEqual(reminder.call_status, "done")
        self.assertEqual(reminder.activity_ids.user_id, self.accountant)

    def test_shipped_companies_litigation_has_somebody_to_call(self):
        level = self.env.ref("dunning_scenario.level_business_litigation").sudo()
        self.assertTrue(level.create_activity)
        self.assertTrue(level.company_id.dunning_credit_controller_id)

    def test_customer_language_inactive_gets_nothing(self):
        # The customer's language came with an import but is not active in the
        # database: its reminder would mix German and English texts. None is
        # prepared; the invoice says why.
        self.assertNotIn("de_DE", dict(self.env["res.lang"].get_installed()))
        self.customer.lang = "de_DE"
        self.assertFalse(self._run(FIRST))
        self.assertIn("language (de_DE) is not active", self.invoice.dunning_skip_reason)
        self.assertEqual(self.invoice.dunning_state, "none")

    def test_customer_language_inactive_blocks_the_draft(self):
        reminder = self._run(FIRST)
        self.assertTrue(reminder)
        self.assertNotIn("language", reminder.send_blocked_reason or "")
        self.customer.lang = "de_DE"
        with self.assertRaisesRegex(UserError, r"language \(de_DE\) is not active"):
            self._send(reminder, FIRST)
        self.assertEqual(reminder.state, "draft")
        self.assertIn("Settings (Languages section)", reminder.send_blocked_reason)


@tagged("post_install", "-at_install")
class TestShortLink(DunningCommon, HttpCase):
    def test_short_link_lists_the_open_invoices(self):
        customer = self.customer_company
        first = self._create_invoice(customer, DUE, 1000.0)
        second = self._create_invoice(customer, "2026-04-10", 250.0)
        reminder = self._run(FIRST)
        self.assertEqual(len(reminder.short_code), 12)
        self.assertTrue(reminder.short_url.endswith(f"/r/{reminder.short_code}"))
        response = self.url_open(f"/r/{reminder.short_code}")
        self.assertEqual(response.status_code, 200)
        for invoice in first | second:
            self.assertIn(invoice.name, response.text)
            self.assertIn(f"/my/invoices/{invoice.id}?access_token=", response.text)
        self.assertEqual(self.url_open("/r/AAAAAAAAAAAA").status_code, 404)
        self.assertEqual(self.url_open("/r/short").status_code, 404)


@tagged("post_install", "-at_install")
class TestDraftChannels(DunningCommon):
    def test_draft_shows_the_channels_it_will_use(self):
        # A reminder to send says which channels its level will use, not
        # "Not requested" on each of them.
        self.level_first.write({"send_email": True, "send_sms": False, "send_letter": True})
        self._create_invoice(self.customer_company, DUE, 1000.0)
        reminder = self._run(FIRST)
        self.assertEqual(reminder.state, "draft")
        self.assertEqual(reminder.channels_planned, "Email, Letter")
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["dunning_scenario"], ["fr_FR"])
        self.assertEqual(reminder.with_context(lang="fr_FR").channels_planned, "E-mail, Lettre")
