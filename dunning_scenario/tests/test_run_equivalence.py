# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily run creates exactly the same reminders, lines and invoice
bookkeeping, whatever the way it is run (one transaction, or the scheduled job
in small batches) and however its code is made faster.

The ledger is ordinary on purpose (one currency, customers owing more than their
credits, invoices progressing through the levels with reminders sent every
week), so that it stays valid when the rules for the unusual cases change. The
expected result below was written from the run before its speed work (commit
1c3c243): a change in it is a change of behaviour, not of speed.
"""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.dunning_scenario.models import dunning_run_generate

from .common import DunningCommon

RUN_DAY = "2026-06-15"
# Weekly runs before RUN_DAY, each followed by the sending of what it prepared.
HISTORY = [fields.Date.to_date("2026-03-02") + timedelta(weeks=week) for week in range(15)]

# label, customer, due date, amount
INVOICES = [
    ("B1-a", "B1", "2026-02-20", 1200.0),
    ("B1-b", "B1", "2026-04-10", 300.0),
    ("B1-c", "B1", "2026-06-25", 80.0),
    ("B2-a", "B2", "2026-03-16", 2500.0),
    ("B2-b", "B2", "2026-05-29", 640.5),
    ("B3-a", "B3", "2026-04-29", 99.99),
    ("B3-b", "B3", "2026-05-14", 1500.0),
    ("B3-c", "B3", "2026-06-05", 410.0),
    ("B4-a", "B4", "2026-02-10", 5000.0),
    ("B4-b", "B4", "2026-06-17", 700.0),
    ("B5-a", "B5", "2026-05-20", 220.0),
    ("B5-b", "B5", "2026-03-30", 1800.0),
    ("B5-c", "B5", "2026-06-30", 60.0),
    ("C1-a", "C1", "2026-03-05", 150.0),
    ("C1-b", "C1", "2026-05-21", 75.0),
    ("C2-a", "C2", "2026-04-20", 420.0),
    ("C2-b", "C2", "2026-06-01", 35.0),
    ("P1-a", "P1", "2026-04-01", 990.0),
    ("P1-b", "P1", "2026-05-15", 130.0),
    ("P1-c", "P1", "2026-06-08", 45.0),
]

# What the run of RUN_DAY prepares, one reminder per customer:
# customer -> (level, net amount, [(kind, invoice, level, left to pay, days overdue,
#              interest in the invoice's currency, flat indemnity)])
EXPECTED_REMINDERS = {
    "B1": (
        "Litigation",
        1500.0,
        [
            ("level", "B1-b", "Litigation", 300.0, 66, 6.59, 40.0),
            ("overdue", "B1-a", False, 1200.0, 115, 45.94, 40.0),
        ],
    ),
    "B2": (
        "First reminder",
        2140.5,
        [
            ("level", "B2-b", "First reminder", 640.5, 17, 3.62, 40.0),
            ("overdue", "B2-a", False, 1500.0, 91, 51.1, 40.0),
        ],
    ),
    "B3": (
        "Formal notice",
        1959.99,
        [
            ("level", "B3-a", "Formal notice", 99.99, 47, 1.56, 40.0),
            ("level", "B3-b", "Second reminder", 1500.0, 32, 15.98, 40.0),
            ("overdue", "B3-c", False, 410.0, 10, 1.36, 40.0),
            ("credit", "credit note", False, -50.0, 0, 0.0, 0.0),
        ],
    ),
    "B4": (
        "Courtesy notice",
        5700.0,
        [
            ("level", "B4-b", "Courtesy notice", 700.0, 0, 0.0, 0.0),
            ("overdue", "B4-a", False, 5000.0, 125, 208.05, 40.0),
        ],
    ),
    "C1": (
        "Second reminder",
        225.0,
        [
            ("level", "C1-b", "Second reminder", 75.0, 25, 0.0, 0.0),
            ("overdue", "C1-a", False, 150.0, 102, 0.6, 0.0),
        ],
    ),
}

# Invoice bookkeeping after the run of RUN_DAY:
# invoice -> (reminder status, last level reached, next level, next date, checked date)
EXPECTED_INVOICES = {
    "B1-a": ("litigation", "Litigation", False, False, "2026-04-27"),
    "B1-b": ("to_remind", "Formal notice", False, False, "2026-06-15"),
    "B1-c": ("none", False, "Courtesy notice", "2026-06-23", "2026-03-02"),
    "B2-a": ("litigation", "Litigation", False, False, "2026-05-18"),
    "B2-b": ("to_remind", False, "Second reminder", "2026-06-28", "2026-06-15"),
    "B3-a": ("to_remind", "Second reminder", "Litigation", "2026-06-28", "2026-06-15"),
    "B3-b": ("to_remind", "First reminder", "Formal notice", "2026-06-28", "2026-06-15"),
    "B3-c": ("none", False, "First reminder", "2026-06-20", "2026-06-08"),
    "B4-a": ("litigation", "Litigation", False, False, "2026-04-13"),
    "B4-b": ("to_remind", False, "First reminder", "2026-07-02", "2026-06-15"),
    "B5-a": ("reminded", "First reminder", "Second reminder", "2026-06-19", "2026-06-08"),
    "B5-b": ("paused", False, False, False, False),
    "B5-c": ("none", False, "Courtesy notice", "2026-06-28", "2026-03-02"),
    "C1-a": ("litigation", "Litigation", False, False, "2026-05-25"),
    "C1-b": ("to_remind", "Friendly reminder", "Formal notice", "2026-07-05", "2026-06-15"),
    "C2-a": ("reminded", "Formal notice", "Litigation", "2026-07-04", "2026-06-08"),
    "C2-b": ("reminded", "Friendly reminder", "Second reminder", "2026-06-26", "2026-06-08"),
    "P1-a": ("litigation", "Litigation", False, False, "2026-06-01"),
    "P1-b": ("none", False, False, False, False),
    "P1-c": ("reminded", "Courtesy notice", "First reminder", "2026-06-23", "2026-06-08"),
}


@tagged("post_install", "-at_install")
class TestRunEquivalence(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        categories = {"B": cls.category_company, "C": cls.category_individual, "P": None}
        cls.customers = {
            code: cls._create_customer(f"Customer {code}", categories[code[0]])
            for code in sorted({customer for __, customer, __, __ in INVOICES})
        }
        cls.invoices = {
            label: cls._create_invoice(cls.customers[customer], due, amount)
            for label, customer, due, amount in INVOICES
        }
        cls.labels = {move: label for label, move in cls.invoices.items()}
        # A partial payment, a credit note smaller than what the customer owes,
        # a disputed invoice and an excluded one.
        cls._pay(cls.invoices["B2-a"], 1000.0, "2026-04-02")
        cls._create_credit_note(cls.customers["B3"], 50.0, "2026-05-02")
        cls.invoices["B5-b"]._dunning_pause("dispute")
        cls.invoices["P1-b"]._dunning_write({"dunning_excluded": True})
        Reminder = cls.env["dunning.reminder"].with_user(cls.accountant)
        for day in HISTORY:
            with cls._frozen(day):
                Reminder._dunning_run()
                Reminder.search([("state", "=", "draft")]).action_send()

    def _snapshot(self):
        reminders = self.env["dunning.reminder"].search(
            [("state", "=", "draft"), ("partner_id", "in", [c.id for c in self.customers.values()])]
        )
        names = {customer: code for code, customer in self.customers.items()}
        got_reminders = {}
        for reminder in reminders:
            lines = [
                (
                    line.kind,
                    self.labels.get(line.move_id, "credit note" if line.kind == "credit" else "?"),
                    line.level_id.name or False,
                    line.amount_residual,
                    line.days_overdue,
                    line.penalty_amount_currency,
                    line.indemnity_amount,
                )
                for line in reminder.line_ids
            ]
            code = names[reminder.partner_id]
            self.assertNotIn(code, got_reminders, "one reminder per customer")
            got_reminders[code] = (reminder.level_id.name, reminder.amount_net, lines)
        got_invoices = {
            label: (
                move.dunning_state,
                move.dunning_level_id.name or False,
                move.dunning_next_level_id.name or False,
                fields.Date.to_string(move.dunning_next_date) or False,
                fields.Date.to_string(move.dunning_checked_date) or False,
            )
            for label, move in self.invoices.items()
        }
        return got_reminders, got_invoices

    def _check(self):
        got_reminders, got_invoices = self._snapshot()
        self.maxDiff = None
        self.assertEqual(got_reminders, EXPECTED_REMINDERS)
        self.assertEqual(got_invoices, EXPECTED_INVOICES)

    def test_run_in_one_transaction(self):
        with self._frozen(RUN_DAY):
            self.env["dunning.reminder"].with_user(self.accountant)._dunning_run()
        self._check()

    def test_plans_written_a_few_at_a_time(self):
        # The plans of a batch go to the database a chunk at a time while the
        # next customers are planned: chunks of two invoices, the same result.
        with self._frozen(RUN_DAY), patch.object(dunning_run_generate, "PLAN_CHUNK", 2):
            self.env["dunning.reminder"].with_user(self.accountant)._dunning_run()
        self._check()

    def test_scheduled_job_in_small_batches(self):
        # The scheduled job, two customers per call, as the cron worker calls it
        # again while work remains.
        Reminder = self.env["dunning.reminder"]
        calls = 0
        with self._frozen(RUN_DAY):
            while True:
                calls += 1
                done, remaining = Reminder.sudo()._dunning_run_batch(self.company, 2)
                if not remaining:
                    break
                self.assertLess(calls, 50)
        self.assertGreater(calls, 2)
        self._check()

    def test_second_run_same_day_creates_nothing(self):
        Reminder = self.env["dunning.reminder"].with_user(self.accountant)
        with self._frozen(RUN_DAY):
            Reminder._dunning_run()
            count = Reminder.search_count([])
            Reminder._dunning_run()
        self.assertEqual(Reminder.search_count([]), count)
        self._check()
