# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Reporting on a known ledger: every figure asserted to the unit."""

from odoo import Command
from odoo.tests import tagged

from ..hooks import fill_payment_delays
from .common import DunningCommon

TODAY = "2026-03-15"


@tagged("post_install", "-at_install")
class TestReceivableDashboard(DunningCommon):
    """Aging of the open invoices on 15 March 2026, in company currency."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.acme = cls.customer_company  # category Companies
        cls.jeanne = cls.customer_individual  # category Individuals
        inv = cls._create_invoice
        cls.open_invoices = {
            # customer, due date, amount: days overdue on 15 March -> bucket
            "a1": inv(cls.acme, "2026-03-20", 100.0),  # not yet due
            "a2": inv(cls.acme, "2026-03-15", 50.0),  # due today: not yet due
            "a3": inv(cls.acme, "2026-03-14", 200.0),  # 1 day: 1-30
            "a4": inv(cls.acme, "2026-02-13", 300.0),  # 30 days: 1-30
            "a5": inv(cls.acme, "2026-02-12", 400.0),  # 31 days: 31-60
            "b1": inv(cls.jeanne, "2026-01-14", 500.0),  # 60 days: 31-60
            "b2": inv(cls.jeanne, "2026-01-13", 600.0),  # 61 days: 61-90
            "b3": inv(cls.jeanne, "2025-12-15", 700.0),  # 90 days: 61-90
            "b4": inv(cls.jeanne, "2025-12-14", 800.0),  # 91 days: 91-120
            "b5": inv(cls.jeanne, "2025-11-14", 900.0),  # 121 days: over 120
            "b7": inv(cls.jeanne, "2025-11-15", 1000.0),  # 120 days, 750 left: 91-120
        }
        cls._pay(cls.open_invoices["b7"], 250.0, "2026-01-05")
        paid = inv(cls.jeanne, "2025-11-01", 5000.0)
        cls._pay(paid, 5000.0, "2026-01-05")  # paid: not on the dashboard
        cls._create_invoice(cls.acme, "2026-01-01", 999.0, post=False)  # draft: neither

    def _groups(self, groupby, user=None):
        Report = self.env["dunning.receivable.report"].with_user(user or self.accountant)
        with self._frozen(TODAY):
            return Report.read_group(
                [("company_id", "=", self.company.id)],
                [
                    "amount_not_due",
                    "amount_1_30",
                    "amount_31_60",
                    "amount_61_90",
                    "amount_91_120",
                    "amount_120_plus",
                    "amount_residual",
                    "amount_overdue",
                    "invoice_count",
                ],
                groupby,
            )

    @staticmethod
    def _buckets(group):
        return [
            group[fname]
            for fname in (
                "amount_not_due",
                "amount_1_30",
                "amount_31_60",
                "amount_61_90",
                "amount_91_120",
                "amount_120_plus",
            )
        ]

    def test_aging_buckets_per_customer_and_total(self):
        by_partner = {group["partner_id"][0]: group for group in self._groups(["partner_id"])}
        acme, jeanne = by_partner[self.acme.id], by_partner[self.jeanne.id]
        self.assertEqual(self._buckets(acme), [150.0, 500.0, 400.0, 0.0, 0.0, 0.0])
        self.assertEqual(acme["amount_residual"], 1050.0)
        self.assertEqual(acme["amount_overdue"], 900.0)
        self.assertEqual(acme["invoice_count"], 5)
        self.assertEqual(self._buckets(jeanne), [0.0, 0.0, 500.0, 1300.0, 1550.0, 900.0])
        self.assertEqual(jeanne["amount_residual"], 4250.0)
        self.assertEqual(jeanne["invoice_count"], 6, "the partly paid invoice counts once")
        (total,) = self._groups([])
        self.assertEqual(self._buckets(total), [150.0, 500.0, 900.0, 1300.0, 1550.0, 900.0])
        self.assertEqual(total["amount_residual"], 5300.0)
        self.assertEqual(total["invoice_count"], 11)

    def test_aging_groups_in_the_order_of_the_days(self):
        groups = self._groups(["aging"])
        self.assertEqual(
            [group["aging"] for group in groups],
            ["not_due", "1_30", "31_60", "61_90", "91_120", "120_plus"],
        )
        self.assertEqual(
            [group["amount_residual"] for group in groups],
            [150.0, 500.0, 900.0, 1300.0, 1550.0, 900.0],
        )

    def test_only_the_selected_companies(self):
        """Amounts in company currency: another company's invoices, in its own
        currency, are never added to the selected company's."""
        other = self.setup_other_company(name="Other Company")["company"]
        self._create_invoice(self.acme, "2026-03-01", 7000.0, company=other)
        self.accountant.company_ids = [Command.link(other.id)]
        Report = self.env["dunning.receivable.report"].with_user(self.accountant)
        with self._frozen(TODAY):
            (total,) = Report.with_context(allowed_company_ids=self.company.ids).read_group(
                [], ["amount_residual"], []
            )
            (both,) = Report.with_context(
                allowed_company_ids=[self.company.id, other.id]
            ).read_group([("company_id", "=", other.id)], ["amount_residual"], [])
        self.assertEqual(total["amount_residual"], 5300.0)
        self.assertEqual(both["amount_residual"], 7000.0)

    def test_each_row_is_an_invoice_with_its_bucket(self):
        Report = self.env["dunning.receivable.report"].with_user(self.accountant)
        with self._frozen(TODAY):
            rows = Report.search([("company_id", "=", self.company.id)])
            aging = {row.move_id: (row.aging, row.days_overdue) for row in rows}
        invoices = self.open_invoices
        self.assertEqual(set(aging), set(invoices.values()))
        self.assertEqual(aging[invoices["a2"]], ("not_due", 0))
        self.assertEqual(aging[invoices["a4"]], ("1_30", 30))
        self.assertEqual(aging[invoices["b1"]], ("31_60", 60))
        self.assertEqual(aging[invoices["b3"]], ("61_90", 90))
        self.assertEqual(aging[invoices["b7"]], ("91_120", 120))
        self.assertEqual(aging[invoices["b5"]], ("120_plus", 121))

    def test_by_category_scenario_and_responsible(self):
        self.acme.dunning_responsible_id = self.accountant
        by_category = {g["category_id"][0]: g for g in self._groups(["category_id"])}
        self.assertEqual(by_category[self.category_company.id]["amount_residual"], 1050.0)
        self.assertEqual(by_category[self.category_individual.id]["amount_residual"], 4250.0)
        by_scenario = {g["scenario_id"][0]: g for g in self._groups(["scenario_id"])}
        self.assertEqual(by_scenario[self.scenario_business.id]["amount_overdue"], 900.0)
        self.assertEqual(by_scenario[self.scenario_consumer.id]["amount_overdue"], 4250.0)
        by_user = {g["user_id"] and g["user_id"][0]: g for g in self._groups(["user_id"])}
        self.assertEqual(by_user[self.accountant.id]["amount_residual"], 1050.0)
        self.assertEqual(by_user[False]["amount_residual"], 4250.0)

    def test_by_level(self):
        # Run on 15 March and mark: each overdue invoice takes its level.
        self._run_and_mark(TODAY)
        by_level = {g["level_id"] and g["level_id"][0]: g for g in self._groups(["level_id"])}
        # Acme (business): a5 (31 days) and a4 (30 days) at "Second reminder" (J+30);
        # a2, due today, gets its courtesy notice (J-2); a3 (1 day late) waits for
        # J+15 and a1's courtesy notice is on 18 March: no level.
        self.assertEqual(by_level[self.level_second.id]["amount_residual"], 700.0)
        self.assertEqual(by_level[self.level_courtesy.id]["amount_residual"], 50.0)
        self.assertEqual(by_level[False]["amount_residual"], 300.0)
        # Jeanne (consumer): 60 to 121 days late, but a first contact is never a
        # formal notice: all at "Second reminder" (J+25).
        second = self.scenario_consumer._get_sorted_levels()[1]
        self.assertEqual(by_level[second.id]["amount_residual"], 4250.0)


@tagged("post_install", "-at_install")
class TestPaymentDelays(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.acme = cls.customer_company
        cls.jeanne = cls.customer_individual
        inv = cls._create_invoice
        cls.p1 = inv(cls.acme, "2026-01-10", 1000.0)
        cls._pay(cls.p1, 1000.0, "2026-01-25")  # 15 days late
        cls.p2 = inv(cls.acme, "2026-01-20", 3000.0)
        cls._pay(cls.p2, 3000.0, "2026-01-15")  # early: 0
        cls.p3 = inv(cls.jeanne, "2026-02-01", 2000.0)
        cls._pay(cls.p3, 2000.0, "2026-03-03")  # 30 days late
        cls.p4 = inv(cls.jeanne, "2026-02-10", 500.0)
        cls._pay(cls.p4, 200.0, "2026-02-15")
        cls._pay(cls.p4, 300.0, "2026-02-20")  # settled on the 20th: 10 days late
        cls.open = inv(cls.jeanne, "2026-02-10", 700.0)  # not paid: not analysed

    def _groups(self, groupby):
        Report = self.env["dunning.payment.delay.report"].with_user(self.accountant)
        return Report.read_group(
            [("company_id", "=", self.company.id)],
            ["days_late", "days_late_weighted", "invoice_count", "late_count", "amount_total"],
            groupby,
        )

    def test_days_late_stored_at_payment(self):
        invoices = self.p1 + self.p2 + self.p3 + self.p4
        self.assertEqual(invoices.mapped("dunning_days_late_paid"), [15, 0, 30, 10])
        self.assertEqual(
            invoices.mapped("dunning_paid_date"),
            [self._d(day) for day in ("2026-01-25", "2026-01-15", "2026-03-03", "2026-02-20")],
        )
        self.assertFalse(self.open.dunning_paid_date)
        self.assertFalse(self.open.dunning_days_late_paid)

    def test_migration_fills_invoices_paid_before_install(self):
        invoices = self.p1 + self.p2 + self.p3 + self.p4
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_move SET dunning_paid_date = NULL, dunning_days_late_paid = NULL "
            "WHERE id = ANY(%s)",
            [invoices.ids],
        )
        invoices.invalidate_recordset()
        self.assertEqual(invoices.mapped("dunning_days_late_paid"), [0, 0, 0, 0])
        fill_payment_delays(self.env.cr)
        invoices.invalidate_recordset()
        self.assertEqual(invoices.mapped("dunning_days_late_paid"), [15, 0, 30, 10])
        self.assertEqual(self.p4.dunning_paid_date, self._d("2026-02-20"))
        self.assertFalse(self.open.dunning_paid_date)

    def test_averages_per_customer(self):
        by_partner = {g["partner_id"][0]: g for g in self._groups(["partner_id"])}
        acme, jeanne = by_partner[self.acme.id], by_partner[self.jeanne.id]
        # Acme: (15 + 0) / 2; weighted (15 x 1000 + 0 x 3000) / 4000.
        self.assertEqual(acme["days_late"], 7.5)
        self.assertEqual(acme["days_late_weighted"], 3.75)
        self.assertEqual((acme["invoice_count"], acme["late_count"]), (2, 1))
        # Jeanne: (30 + 10) / 2; weighted (30 x 2000 + 10 x 500) / 2500.
        self.assertEqual(jeanne["days_late"], 20.0)
        self.assertEqual(jeanne["days_late_weighted"], 26.0)
        # All: (15 + 0 + 30 + 10) / 4; weighted 80000 / 6500.
        (total,) = self._groups([])
        self.assertEqual(total["days_late"], 13.75)
        self.assertAlmostEqual(total["days_late_weighted"], 12.3077, places=4)
        self.assertEqual(total["amount_total"], 6500.0)

    def test_averages_per_category_scenario_and_month(self):
        by_category = {g["category_id"][0]: g for g in self._groups(["category_id"])}
        self.assertEqual(by_category[self.category_company.id]["days_late_weighted"], 3.75)
        self.assertEqual(by_category[self.category_individual.id]["days_late"], 20.0)
        by_scenario = {g["scenario_id"][0]: g for g in self._groups(["scenario_id"])}
        self.assertEqual(by_scenario[self.scenario_consumer.id]["days_late_weighted"], 26.0)
        by_month = {g["date:month"]: g for g in self._groups(["date:month"])}
        self.assertEqual(len(by_month), 3)
        months = sorted(by_month.values(), key=lambda g: g["__range"]["date:month"]["from"])
        # January: p1 and p2; February: p4; March: p3.
        self.assertEqual([g["days_late"] for g in months], [7.5, 10.0, 30.0])
        self.assertEqual([g["days_late_weighted"] for g in months], [3.75, 10.0, 30.0])


@tagged("post_install", "-at_install")
class TestDso(DunningCommon):
    """DSO, count-back method, on a ledger of three months.

    Sales: January 3,100 (31 days), February 2,800 (28 days), March 3,100.
    January's invoice paid on 15 February, 1,400 paid on February's on 20 March.
    Receivables at the end of each month: January 3,100; February 2,800;
    March 3,100 + 2,800 + 3,100 - 3,100 - 1,400 = 4,500.

    DSO for March, by hand: 4,500 is more than March's sales (3,100): March
    counts its 31 days, 1,400 left; 1,400 is half of February's 2,800 sales:
    February counts 28 x 1,400 / 2,800 = 14 days. DSO = 31 + 14 = 45.0 days.
    February: 2,800 = its sales exactly -> 28.0. January: 3,100 -> 31.0.
    April (today 10 April, no sale): April's 10 days + March 31 + February 14 = 55.0.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customer = cls.customer_company
        jan = cls._create_invoice(customer, "2026-01-10", 3100.0, invoice_date="2026-01-10")
        feb = cls._create_invoice(customer, "2026-02-10", 2800.0, invoice_date="2026-02-10")
        cls._create_invoice(customer, "2026-03-05", 3100.0, invoice_date="2026-03-05")
        cls._pay(jan, 3100.0, "2026-02-15")
        cls._pay(feb, 1400.0, "2026-03-20")

    def test_dso_per_month(self):
        Report = self.env["dunning.dso.report"].with_user(self.accountant)
        with self._frozen("2026-04-10"):
            rows = Report.search([("company_id", "=", self.company.id)], order="date")
            figures = [(str(r.date), r.sales, r.receivable, r.dso) for r in rows]
        self.assertEqual(
            figures,
            [
                ("2026-01-01", 3100.0, 3100.0, 31.0),
                ("2026-02-01", 2800.0, 2800.0, 28.0),
                ("2026-03-01", 3100.0, 4500.0, 45.0),
                ("2026-04-01", 0.0, 4500.0, 55.0),
            ],
        )


@tagged("post_install", "-at_install")
class TestEffectiveness(DunningCommon):
    """Two customers reminded at "First reminder" on 16 February 2026: Acme by
    phone call, Beta marked as reminded (another way).

    Acme: e1 1,000 paid on 20 Feb (4 days), e2 3,000 paid on 1 March (13 days).
    Beta: e3 2,000 paid on 10 March (22 days), e4 4,000 not paid.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_first.write({"create_activity": True})
        cls.acme = cls.customer_company
        cls.acme.dunning_responsible_id = cls.accountant
        cls.beta = cls._create_customer("Beta Industries", cls.category_company)
        inv = cls._create_invoice
        cls.e1 = inv(cls.acme, "2026-02-01", 1000.0)
        cls.e2 = inv(cls.acme, "2026-02-01", 3000.0)
        cls.e3 = inv(cls.beta, "2026-02-01", 2000.0)
        cls.e4 = inv(cls.beta, "2026-02-01", 4000.0)

    def _groups(self, groupby):
        Report = self.env["dunning.effectiveness.report"].with_user(self.accountant)
        return Report.read_group(
            [("company_id", "=", self.company.id)],
            [
                "reminder_count",
                "invoice_count",
                "amount_reminded",
                "amount_paid_7",
                "amount_paid_30",
                "share_paid_7",
                "share_paid_15",
                "share_paid_30",
                "amount_share_7",
                "amount_share_30",
                "days_to_payment",
            ],
            groupby,
        )

    def test_shares_per_channel_and_level(self):
        reminders = self._run("2026-02-16")
        acme_reminder = reminders.filtered(lambda r: r.partner_id == self.acme)
        self._send(acme_reminder, "2026-02-16")
        self._mark(reminders - acme_reminder, "2026-02-16")
        self.assertEqual(acme_reminder.call_status, "done")
        self._pay(self.e1, 1000.0, "2026-02-20")
        self._pay(self.e2, 3000.0, "2026-03-01")
        self._pay(self.e3, 2000.0, "2026-03-10")

        by_channel = {g["channel"]: g for g in self._groups(["channel"])}
        self.assertEqual(set(by_channel), {"call", "manual"})
        call, manual = by_channel["call"], by_channel["manual"]
        self.assertEqual((call["reminder_count"], call["invoice_count"]), (1, 2))
        self.assertEqual(call["amount_reminded"], 4000.0)
        self.assertEqual(call["amount_paid_7"], 1000.0)
        self.assertEqual(call["share_paid_7"], 50.0)
        self.assertEqual(call["share_paid_15"], 100.0)
        self.assertEqual(call["amount_share_7"], 25.0)
        self.assertEqual(call["days_to_payment"], 8.5)  # (4 + 13) / 2
        self.assertEqual((manual["reminder_count"], manual["invoice_count"]), (1, 2))
        self.assertEqual(manual["share_paid_15"], 0.0)
        self.assertEqual(manual["share_paid_30"], 50.0)
        self.assertAlmostEqual(manual["amount_share_30"], 33.33, places=2)  # 2000 / 6000
        self.assertEqual(manual["days_to_payment"], 22.0)

        (level,) = self._groups(["level_id"])
        self.assertEqual(level["level_id"][0], self.level_first.id)
        self.assertEqual(level["reminder_count"], 2)
        self.assertEqual(level["share_paid_30"], 75.0)  # 3 invoices of 4
        self.assertEqual(level["amount_share_30"], 60.0)  # 6000 / 10000
        self.assertEqual(level["days_to_payment"], 13.0)  # (4 + 13 + 22) / 3
        by_month = self._groups(["date:month"])
        self.assertEqual(len(by_month), 1)
        self.assertEqual(by_month[0]["amount_paid_30"], 6000.0)

    def test_shares_only_count_reminders_old_enough(self):
        # Nine days after the reminders only e1 is paid: whether e2, e3 and e4
        # will be paid within 15 or 30 days cannot be known yet, so they are in
        # neither side of those shares (the 7-day share already knows them).
        reminders = self._run("2026-02-16")
        self._mark(reminders, "2026-02-16")
        self._pay(self.e1, 1000.0, "2026-02-20")
        with self._frozen("2026-02-25"):
            (level,) = self._groups(["level_id"])
        self.assertEqual(level["share_paid_7"], 25.0)  # 1 invoice of 4
        self.assertEqual(level["amount_share_7"], 10.0)  # 1000 / 10000
        self.assertEqual(level["share_paid_15"], 100.0)  # only e1 is known
        self.assertEqual(level["amount_share_30"], 100.0)  # 1000 / 1000
        self.assertEqual(level["amount_reminded"], 10000.0)
