# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The invoices' reminder plans (models/dunning_invoice_plan.py): every customer
invoice has one, the invoice shows, searches and groups its values as its own,
the status follows what happens to the invoice, and the daily run writes the
plans, never the invoices' rows.

Invoices are due on 2026-03-31 and follow the test "Companies" scenario: first
reminder on 2026-04-15 (J+15).
"""

from odoo.tests import tagged

from .common import DunningCommon

DUE = "2026-03-31"
FIRST = "2026-04-15"


@tagged("post_install", "-at_install")
class TestInvoicePlan(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.customer_company
        cls.invoice = cls._create_invoice(cls.customer, DUE, 1000.0)

    def test_every_customer_invoice_has_a_plan(self):
        draft = self._create_invoice(self.customer, DUE, 50.0, post=False)
        credit_note = self._create_credit_note(self.customer, 10.0, "2026-04-01")
        for move in (self.invoice, draft):
            self.assertEqual(move.dunning_plan_id.move_id, move)
            self.assertEqual(move.dunning_state, "none")
        self.assertFalse(credit_note.dunning_plan_id)
        copy = self.invoice.copy()
        self.assertTrue(copy.dunning_plan_id)
        self.assertNotEqual(copy.dunning_plan_id, self.invoice.dunning_plan_id)

    def test_draft_switched_to_an_invoice_gets_a_plan(self):
        draft = self._create_invoice(
            self.customer, "2026-04-01", 10.0, move_type="out_refund", post=False
        )
        self.assertFalse(draft.dunning_plan_id)
        draft.action_switch_move_type()
        self.assertEqual(draft.move_type, "out_invoice")
        self.assertEqual(draft.dunning_plan_id.state, "none")

    def test_status_follows_the_invoice(self):
        reminder = self._run(FIRST)
        self.assertEqual(self.invoice.dunning_state, "to_remind")
        self._mark(reminder, FIRST)
        self.assertEqual(self.invoice.dunning_state, "reminded")
        self.assertEqual(self.invoice.dunning_plan_id.state, "reminded")
        self._pay(self.invoice, 1000.0, "2026-04-20")
        self.assertEqual(self.invoice.dunning_state, "paid")

    def test_invoice_searches_and_groups_on_its_plan(self):
        other = self._create_invoice(self.customer, "2026-04-10", 300.0)
        self._run(FIRST)
        Move = self.env["account.move"].with_user(self.accountant)
        mine = [("commercial_partner_id", "=", self.customer.id)]
        self.assertEqual(Move.search([*mine, ("dunning_state", "=", "to_remind")]), self.invoice)
        groups = Move.read_group(mine, ["dunning_state"], ["dunning_state"])
        counts = {group["dunning_state"]: group["dunning_state_count"] for group in groups}
        self.assertEqual(counts, {"to_remind": 1, "none": 1})
        # not due on the run's day: examined again at its first level
        self.assertEqual(str(other.dunning_next_date), "2026-04-25")
        planned = Move.search(
            [*mine, ("dunning_next_date", "!=", False)], order="dunning_next_date desc"
        )
        self.assertIn(other, planned)
        dates = planned.mapped("dunning_next_date")
        self.assertEqual(dates, sorted(dates, reverse=True))

    def test_run_writes_plans_not_invoice_rows(self):
        with self._spy_queries() as queries:
            reminder = self._run(FIRST)
            self.env.flush_all()
        self.assertTrue(reminder)
        self.assertEqual(str(self.invoice.dunning_checked_date), FIRST)
        rewritten = [
            query
            for query in queries
            if " ".join(query.split())
            .upper()
            .startswith(("UPDATE ACCOUNT_MOVE ", 'UPDATE "ACCOUNT_MOVE"'))
        ]
        self.assertFalse(rewritten, "the daily run does not rewrite the invoices' rows")

    def test_invoice_without_plan_gets_one_when_examined(self):
        # An invoice written to the database without the ORM (an import) has no plan.
        self.env.flush_all()
        plan = self.invoice.dunning_plan_id
        self.env.cr.execute(
            "UPDATE account_move SET dunning_plan_id = NULL WHERE id = %s", [self.invoice.id]
        )
        self.env.cr.execute("DELETE FROM dunning_invoice_plan WHERE id = %s", [plan.id])
        self.env.invalidate_all()
        self.assertFalse(self.invoice.dunning_plan_id)
        reminder = self._run(FIRST)
        self.assertEqual(reminder.line_ids.move_id, self.invoice)
        self.assertTrue(self.invoice.dunning_plan_id)
        self.assertEqual(self.invoice.dunning_state, "to_remind")
        self.assertEqual(str(self.invoice.dunning_checked_date), FIRST)

    def test_writing_the_planning_goes_to_the_plan(self):
        self.invoice._dunning_write({"dunning_next_date": "2026-05-01", "dunning_count": 2})
        self.assertEqual(str(self.invoice.dunning_plan_id.next_date), "2026-05-01")
        self.assertEqual(str(self.invoice.dunning_next_date), "2026-05-01")
        self.assertEqual(self.invoice.dunning_count, 2)
