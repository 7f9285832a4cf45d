# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Two companies, one shared customer.

Company A is the test company (first reminder at J+15); company B has its own
scenario, first reminder at J+10. Both invoices are due on 2026-03-31; the
runs of 2026-04-15 remind them in both companies.
"""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import DunningCommon

DUE = "2026-03-31"
RUN = "2026-04-15"


@tagged("post_install", "-at_install")
class TestMultiCompany(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.scenario_b = cls._create_scenario(
            "Company B customers",
            [("First reminder B", 10, {}), ("Second reminder B", 20, {})],
            categories=cls.category_company,
            company=cls.company_b,
        )
        cls.company_b.dunning_default_scenario_id = cls.scenario_b
        cls.level_first_b = cls.scenario_b._get_sorted_levels()[0]
        cls.customer = cls.customer_company  # shared by both companies
        cls.invoice_a = cls._create_invoice(cls.customer, DUE, 1000.0)
        cls.invoice_b = cls._create_invoice(cls.customer, DUE, 700.0, company=cls.company_b)
        cls.payment_b = cls._create_unreconciled_payment(
            cls.customer, 50.0, "2026-04-01", company=cls.company_b
        )
        cls.accountant_ab = new_test_user(
            cls.env,
            login="dunning_accountant_ab",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company_a.id,
            company_ids=[Command.set((cls.company_a | cls.company_b).ids)],
        )
        cls.accountant_b = new_test_user(
            cls.env,
            login="dunning_accountant_b",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )

    def _reminders(self, company):
        return self.env["dunning.reminder"].sudo().search([("company_id", "=", company.id)])

    def test_reminder_never_mixes_companies(self):
        # One reminder per company for the shared customer, each with only the
        # invoices, credits and scenario of its company.
        reminders = self._run(RUN, user=self.accountant_ab)
        self.assertEqual(len(reminders), 2)
        reminder_a = reminders.filtered(lambda r: r.company_id == self.company_a)
        reminder_b = reminders - reminder_a
        self.assertEqual(reminder_a.scenario_id, self.scenario_business)
        self.assertEqual(self._level_lines(reminder_a), {self.invoice_a: self.level_first})
        self.assertEqual(reminder_a.line_ids.move_id, self.invoice_a)
        self.assertEqual(reminder_a.amount_net, 1000.0)
        self.assertEqual(reminder_b.company_id, self.company_b)
        self.assertEqual(reminder_b.scenario_id, self.scenario_b)
        self.assertEqual(self._level_lines(reminder_b), {self.invoice_b: self.level_first_b})
        self.assertEqual(reminder_b.line_ids.move_id, self.invoice_b | self.payment_b.move_id)
        self.assertEqual(reminder_b.amount_net, 650.0)
        for reminder in reminders:
            self.assertEqual(reminder.line_ids.move_id.company_id, reminder.company_id)

    def test_cron_runs_every_company(self):
        # The scheduled job works for all companies at once.
        with self._frozen(RUN):
            self.env["dunning.reminder"]._cron_process_dunning()
        self.assertEqual(self._reminders(self.company_a).line_ids.move_id, self.invoice_a)
        self.assertEqual(self._reminders(self.company_b).level_line_ids.move_id, self.invoice_b)

    def test_run_by_user_of_company_b_leaves_company_a_alone(self):
        reminders = self._run(RUN, user=self.accountant_b)
        self.assertEqual(reminders.company_id, self.company_b)
        self.assertFalse(self._reminders(self.company_a))
        self.assertFalse(self.invoice_a.dunning_checked_date)

    def test_user_of_company_b_sees_nothing_of_company_a(self):
        # A's reminder is invisible to a user of B: not found, not readable.
        self._run(RUN, user=self.accountant_ab)
        reminder_a = self._reminders(self.company_a)
        Reminder = self.env["dunning.reminder"].with_user(self.accountant_b)
        self.assertEqual(
            Reminder.search([]),
            self._reminders(self.company_b).with_user(self.accountant_b),
        )
        self.assertFalse(
            Reminder.search(
                [
                    ("partner_id", "=", self.customer.id),
                    ("company_id", "=", self.company_a.id),
                ]
            )
        )
        self.assertFalse(
            self.env["dunning.reminder.line"]
            .with_user(self.accountant_b)
            .search([("move_id", "=", self.invoice_a.id)])
        )
        with self.assertRaises(AccessError):
            reminder_a.with_user(self.accountant_b).read(["name", "amount_net"])
        with self.assertRaises(AccessError):
            reminder_a.line_ids.with_user(self.accountant_b).read(["amount_residual"])
        with self.assertRaises(AccessError):
            self.scenario_business.with_user(self.accountant_b).read(["name"])

    def test_scenario_choice_is_per_company(self):
        # An override set in company A does not follow the customer into B.
        self.customer.with_company(self.company_a).dunning_scenario_id = self.scenario_consumer
        customer = self.customer.with_user(self.accountant_ab)
        self.assertEqual(
            customer.with_company(self.company_a).dunning_effective_scenario_id,
            self.scenario_consumer,
        )
        self.assertEqual(
            customer.with_company(self.company_b).dunning_effective_scenario_id,
            self.scenario_b,
        )
