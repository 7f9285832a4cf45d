# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Which scenario a customer follows.

The test company has a "Companies" scenario (sequence 10, also the company
default) and an "Individuals" one (sequence 20). Invoices are due on
2026-03-31; the run of 2026-04-17 reminds them (J+15 for companies, J+7 for
individuals).
"""

from odoo import Command
from odoo.tests import tagged

from .common import DunningCommon

DUE = "2026-03-31"
RUN = "2026-04-17"


@tagged("post_install", "-at_install")
class TestScenarioChoice(DunningCommon):
    def _effective(self, partner):
        return self._as_accountant(partner).with_company(self.company).dunning_effective_scenario_id

    def test_scenario_by_category(self):
        # "Individuals" tag -> the Individuals scenario, its first level at J+7.
        self.assertEqual(self._effective(self.customer_individual), self.scenario_consumer)
        invoice = self._create_invoice(self.customer_individual, DUE, 300.0)
        reminder = self._run(RUN)
        self.assertEqual(reminder.scenario_id, self.scenario_consumer)
        self.assertEqual(
            self._level_lines(reminder),
            {invoice: self.scenario_consumer._get_sorted_levels()[0]},
        )

    def test_override_wins_over_category(self):
        # An "Individuals" customer forced on the Companies scenario follows it.
        self.customer_individual.with_company(
            self.company
        ).dunning_scenario_id = self.scenario_business
        self.assertEqual(self._effective(self.customer_individual), self.scenario_business)
        invoice = self._create_invoice(self.customer_individual, DUE, 300.0)
        reminder = self._run(RUN)
        self.assertEqual(reminder.scenario_id, self.scenario_business)
        self.assertEqual(self._level_lines(reminder), {invoice: self.level_first})

    def test_company_default_without_category(self):
        # No tag, no override: the company's default scenario.
        self.assertEqual(self._effective(self.customer_plain), self.scenario_business)
        invoice = self._create_invoice(self.customer_plain, DUE, 300.0)
        self.assertEqual(self._as_accountant(invoice).dunning_scenario_id, self.scenario_business)
        reminder = self._run(RUN)
        self.assertEqual(reminder.scenario_id, self.scenario_business)

    def test_no_scenario_no_reminder(self):
        # Without a default scenario, an untagged customer is never reminded.
        self.company.dunning_default_scenario_id = False
        self.assertFalse(self._effective(self.customer_plain))
        invoice = self._create_invoice(self.customer_plain, DUE, 300.0)
        self.assertFalse(self._run(RUN))
        self.assertEqual(invoice.dunning_state, "none")

    def test_lowest_sequence_wins_among_categories(self):
        # Tagged both "Companies" (sequence 10) and "Individuals" (20): Companies.
        customer = self._create_customer(
            "Both Tags", self.category_company | self.category_individual
        )
        self.assertEqual(self._effective(customer), self.scenario_business)
        # Individuals moved before Companies (sequence 5): Individuals now.
        self.scenario_consumer.sequence = 5
        customer.invalidate_recordset(["dunning_effective_scenario_id"])
        self.assertEqual(self._effective(customer), self.scenario_consumer)
        self._create_invoice(customer, DUE, 300.0)
        self.assertEqual(self._run(RUN).scenario_id, self.scenario_consumer)

    def test_category_without_scenario_falls_back_to_default(self):
        # "Key Accounts" has no scenario in the test company: company default.
        customer = self._create_customer("Key Account", self.category_key_account)
        self.assertEqual(self._effective(customer), self.scenario_business)

    def test_scenario_of_another_company_ignored(self):
        # The shipped scenarios belong to the main company; their categories do
        # not apply in the test company ("Public Sector" has no scenario here).
        customer = self._create_customer("Town Hall", self.category_public)
        self.assertEqual(self._effective(customer), self.scenario_business)

    def test_contact_follows_commercial_partner(self):
        # The contact has no tag of its own: its company's "Individuals" tag
        # decides, and the reminder goes to the company.
        contact = self.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "parent_id": self.customer_individual.id,
                "type": "invoice",
                "email": "ap@example.com",
            }
        )
        self.assertEqual(self._effective(contact), self.scenario_consumer)
        # Even with a tag of its own, the contact follows its company.
        contact.category_id = [Command.set(self.category_company.ids)]
        self.assertEqual(self._effective(contact), self.scenario_consumer)
        invoice = self._create_invoice(contact, DUE, 300.0)
        reminder = self._run(RUN)
        self.assertEqual(reminder.partner_id, self.customer_individual)
        self.assertEqual(reminder.scenario_id, self.scenario_consumer)
        self.assertEqual(reminder.level_line_ids.move_id, invoice)

    def test_category_change_reschedules_open_invoices(self):
        # Planned on 04-01 with the Companies scenario (next: J+15 = 04-15); the
        # customer becomes an individual on 04-02: reminded on 04-07 (J+7).
        invoice = self._create_invoice(self.customer_plain, DUE, 300.0)
        self._run("2026-04-01")
        self.assertEqual(invoice.dunning_next_date, self._d("2026-04-15"))
        self.customer_plain.category_id = [Command.set(self.category_individual.ids)]
        reminder = self._run("2026-04-07")
        self.assertEqual(reminder.scenario_id, self.scenario_consumer)

    def test_archived_scenario_not_used(self):
        # The override and the default are archived: the customer falls back on
        # its category, then on nothing.
        self.customer_individual.with_company(
            self.company
        ).dunning_scenario_id = self.scenario_business
        self.scenario_business.active = False
        self.assertEqual(self._effective(self.customer_individual), self.scenario_consumer)
        self.assertFalse(self._effective(self.customer_plain))
        self._create_invoice(self.customer_plain, DUE, 300.0)
        self.assertFalse(self._run(RUN))

    def test_new_scenario_reschedules_open_invoices(self):
        # Planned on 04-01 with the default scenario (next: 04-15). On 04-02 a
        # scenario with a J+5 level is made for "Key Accounts": the customer
        # with that tag is reminded on 04-05.
        customer = self._create_customer("Key Account", self.category_key_account)
        invoice = self._create_invoice(customer, DUE, 300.0)
        self._run("2026-04-01")
        self.assertEqual(invoice.dunning_next_date, self._d("2026-04-15"))
        scenario = self._create_scenario(
            "Key Accounts",
            [("Call", 5, {})],
            sequence=5,
            categories=self.category_key_account,
        )
        reminder = self._run("2026-04-05")
        self.assertEqual(reminder.scenario_id, scenario)
        self.assertEqual(reminder.level_line_ids.move_id, invoice)

    def test_min_amount(self):
        # Below the minimum (50.00 < 100.00): no reminder; at 100.00: reminded.
        self.scenario_business.min_amount = 100.0
        small = self._create_invoice(self.customer_company, DUE, 50.0)
        self.assertFalse(self._run(RUN))
        self.assertEqual(small.dunning_state, "none")
        exact = self._create_invoice(self.customer_plain, DUE, 100.0)
        self.assertEqual(self._run("2026-04-18").level_line_ids.move_id, exact)
