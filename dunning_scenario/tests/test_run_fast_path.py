# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily run writes the reminders, their lines and the invoices' reminder
status by SQL, computed fields included. What it writes must be exactly what
the ORM computes from the same records (penalties, their basis in the
customer's language, the totals, the invoices' status), on a ledger with every
kind of case the penalties know: business, contractual, public and consumer
debtors, a foreign currency, a missing rate, a partial payment, a payment not
matched, a credit note, a penalty invoice, an invoice paid late claimed again,
a formal notice, an invoice below the scenario's minimum, a French customer.
And the ORM must have nothing left to write afterwards.
"""

from datetime import date, timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools.misc import formatLang

from odoo.addons.dunning_scenario.models.dunning_reminder_line import PenaltyCalculator

from .test_penalty import PenaltyCommon

HISTORY = [fields.Date.to_date("2026-05-04") + timedelta(weeks=week) for week in range(8)]
RUN_DAY = "2026-07-06"


@tagged("post_install", "-at_install")
class TestRunFastPath(PenaltyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["dunning_scenario"], ["fr_FR"])
        cls.usd = cls.setup_other_currency("USD", rates=[("2026-01-01", 1.25)])
        cls.company.dunning_claim_paid_late = True
        cls.scenario_business.min_amount = 20.0
        # Clearly fake rates for 2026 H2 (not published in the sources at hand);
        # an invoice of 2018, before the shipped rates, has a missing rate.
        for rate_type, rate in (("ecb", 4.0), ("legal_other", 3.0)):
            cls.env["dunning.interest.rate"].create(
                {
                    "rate_type": rate_type,
                    "date_from": "2026-07-01",
                    "date_to": "2026-12-31",
                    "rate": rate,
                    "note": "TEST ONLY - fake value, not the published rate",
                }
            )
        customer = cls._create_customer
        inv = cls._create_invoice
        cls.customer_public = customer("City Hospital", cls.category_public)
        french = customer("Atelier Dupont", cls.category_company, lang="fr_FR")
        contract = customer(
            "Contract Ltd",
            cls.category_company,
            dunning_contract_rate=15.0,
            dunning_contract_rate_date="2026-01-01",
        )
        consumer = customer("Louise Petit", cls.category_individual, lang="fr_FR")
        single = customer("Single Invoice SA", cls.category_company)
        credit = customer("Credit Note SARL", cls.category_company)
        paid_late = customer("Paid Late SAS", cls.category_company)
        foreign = customer("Foreign Inc", cls.category_company)

        inv(cls.customer_company, "2026-03-31", 1200.0)
        inv(cls.customer_company, "2026-05-20", 15.0)  # below the minimum
        inv(cls.customer_company, "2026-06-25", 333.33)
        inv(cls.customer_public, "2026-04-15", 5000.0)
        inv(cls.customer_public, "2026-06-06", 800.0)  # first level on the day
        inv(cls.customer_plain, "2026-06-10", 99.99)
        partial = inv(french, "2026-04-30", 2500.0)
        cls._pay(partial, 1000.0, "2026-06-01")
        inv(french, "2026-06-30", 450.5)
        inv(contract, "2025-12-31", 800.0, invoice_date="2025-12-01")
        inv(contract, "2026-05-31", 800.0)
        notice = inv(consumer, "2026-03-15", 600.0)
        notice.with_user(cls.accountant).write(
            {
                "dunning_formal_notice_date": "2026-05-10",
                "dunning_formal_notice_ack_date": "2026-05-12",
            }
        )
        inv(consumer, "2026-05-01", 75.0)
        inv(consumer, "2026-06-29", 300.0)  # first level on the day
        inv(single, "2026-05-31", 1500.0)
        cls._create_unreconciled_payment(single, 600.0, "2026-06-10")
        inv(credit, "2026-04-30", 900.0)
        inv(credit, "2026-06-15", 400.0)
        cls._create_credit_note(credit, 120.0, "2026-05-05")
        inv(credit, "2018-10-31", 640.0, invoice_date="2018-10-01")
        late = inv(paid_late, "2026-03-31", 700.0)
        cls._pay(late, 700.0, "2026-04-20")
        inv(paid_late, "2026-05-31", 250.0)
        penalty_invoice = inv(paid_late, "2026-05-15", 49.99)
        penalty_invoice._dunning_write({"dunning_is_penalty_invoice": True})
        inv(foreign, "2026-04-30", 1000.0, currency=cls.usd)
        inv(foreign, "2026-05-31", 300.0)
        Reminder = cls.env["dunning.reminder"].with_user(cls.accountant)
        for day in HISTORY:
            with cls._frozen(day):
                Reminder._dunning_run()
                Reminder.search([("state", "=", "draft")]).action_mark_reminded()

    def _stored(self, records):
        """{record: {stored field: value}} of ``records`` as the database has them."""
        records.env.invalidate_all()
        names = [
            name
            for name, field in records._fields.items()
            if field.store and name not in ("create_date", "write_date", "__last_update")
        ]
        return {record: {name: record[name] for name in names} for record in records}

    def _recompute(self, records, fnames=None):
        """Have the ORM compute again the stored computed fields of ``records``."""
        for name, field in records._fields.items():
            if field.store and field.compute and (fnames is None or name in fnames):
                records.env.add_to_compute(field, records)
        records.env.flush_all()

    def test_sql_writes_what_the_orm_computes(self):
        Reminder = self.env["dunning.reminder"].with_user(self.accountant)
        before = Reminder.search([]).ids
        with self._frozen(RUN_DAY), self._spy_queries() as queries:
            Reminder._dunning_run()
            self.env.flush_all()
        reminders = Reminder.search([("id", "not in", before)])
        # Every case the ledger holds is in the run.
        lines = reminders.line_ids
        self.assertEqual(len(reminders), 10)
        self.assertEqual(set(lines.mapped("kind")), {"level", "overdue", "credit", "paid_late"})
        self.assertEqual(
            set(reminders.scenario_id.mapped("debtor_type")), {"business", "public", "consumer"}
        )
        self.assertIn(self.usd, reminders.currency_id)
        self.assertTrue(any(lines.mapped("penalty_error")), "2018 has no rate")
        single = lines.filtered(
            lambda line: line.kind == "level"
            and line.reminder_id.partner_id.name == "Single Invoice SA"
        )
        self.assertEqual(single.penalty_note.count("; "), 2, "the payment cuts the base")
        self.assertTrue(any(lines.mapped("indemnity_amount")))
        self.assertTrue(any(line.penalty_amount and "%" in line.penalty_note for line in lines))
        self.assertTrue(any("l'an sur" in (note or "") for note in lines.mapped("penalty_note")))
        written = [
            query
            for query in queries
            if query.lstrip().upper().startswith("UPDATE")
            and ("dunning_reminder_line" in query or '"dunning_reminder"' in query)
        ]
        self.assertFalse(written, "nothing is rewritten after the INSERTs")

        moves = lines.move_id
        # The reminder status of the invoices is on their plans (a narrow table).
        plans = moves.dunning_plan_id
        invoices = moves.filtered(lambda move: move.move_type == "out_invoice")
        self.assertEqual(plans.move_id, invoices, "every invoice has its plan")
        self.assertIn("to_remind", plans.mapped("state"))
        kinds = (("reminder", reminders), ("line", lines), ("move", moves), ("plan", plans))
        expected = {model: self._stored(records) for model, records in kinds}
        with self._frozen(RUN_DAY):
            self._recompute(lines)
            self._recompute(reminders)
            self._recompute(plans, {"state"})
        self.maxDiff = None
        for model, records in kinds:
            got = self._stored(records)
            for record in records:
                self.assertEqual(got[record], expected[model][record], f"{model} {record}")

    def test_amounts_formatted_as_formatlang(self):
        calculator = PenaltyCalculator(self.env["dunning.reminder.line"])
        values = [0.0, 0.004, 0.005, 1.0, 12.345, 999.995, 1234.5, -1500.25, 1234567.891]
        for lang in ("en_US", "fr_FR", False):
            env = calculator.lang_env(lang)
            for currency in (self.company.currency_id, self.usd):
                for value in values:
                    self.assertEqual(
                        calculator.format_amount(env, value, currency.id),
                        formatLang(env, value, currency_obj=currency),
                        f"{value} {currency.name} {lang}",
                    )

    def test_plan_same_as_the_invoice_says(self):
        # The run plans from plain values what _dunning_plan says of the record.
        Reminder = self.env["dunning.reminder"].with_user(self.accountant)
        with self._frozen(RUN_DAY):
            Reminder._dunning_run()
        today = date.fromisoformat(RUN_DAY)
        moves = self.env["account.move"].search(
            [("move_type", "=", "out_invoice"), ("dunning_checked_date", "=", today)]
        )
        self.assertTrue(moves)
        for move in moves.filtered(lambda m: m.dunning_state == "none"):
            scenario = move.dunning_scenario_id
            if not scenario:
                continue
            __, next_date, next_level = move._dunning_plan(
                scenario._get_sorted_levels(), scenario, today
            )
            if move.dunning_skip_reason:
                continue
            self.assertEqual(move.dunning_next_date, next_date, move.name)
            self.assertEqual(move.dunning_next_level_id, next_level, move.name)
