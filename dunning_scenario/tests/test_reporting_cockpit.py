# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Customer cockpit, "Remind now" and the preview of the run."""

from datetime import date

from odoo.tests import tagged

from ..models.res_partner import DUNNING_STATUSES, SEARCH_OPERATORS
from .common import DunningCommon

TODAY = "2026-03-15"


@tagged("post_install", "-at_install")
class TestCustomerCockpit(DunningCommon):
    """Six customers of the business scenario (J-2, J+15, J+30, J+45, J+60), seen
    on 15 March 2026, after the runs of 13 March (marked) and 15 March."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        new = cls._create_customer
        cat = cls.category_company
        cls.nothing = new("Cockpit Nothing", cat)
        cls.waiting = new("Cockpit Waiting", cat)
        cls.reminded = new("Cockpit Reminded", cat)
        cls.to_act = new("Cockpit To Act", cat)
        cls.paused = new("Cockpit Paused", cat)
        cls.litigation = new("Cockpit Litigation", cat)
        cls.customers = (
            cls.nothing + cls.waiting + cls.reminded + cls.to_act + cls.paused + cls.litigation
        )
        inv = cls._create_invoice
        paid = inv(cls.nothing, "2026-02-01", 500.0)
        cls._pay(paid, 500.0, "2026-02-10")
        cls.inv_waiting = inv(cls.waiting, "2026-04-30", 600.0)
        cls.inv_reminded = inv(cls.reminded, "2026-02-25", 2000.0)
        cls.inv_to_act = inv(cls.to_act, "2026-02-28", 1000.0)
        cls.inv_paused = inv(cls.paused, "2026-02-01", 3000.0)
        cls.inv_litigation = inv(cls.litigation, "2025-12-01", 4000.0)
        inv(cls.litigation, "2026-04-01", 100.0)  # not due: not overdue
        cls.inv_paused._dunning_pause("dispute")
        cls.inv_litigation._dunning_write({"dunning_level_id": cls.level_litigation.id})

    def _cockpit(self, partners):
        # The cockpit is read fresh, as by a new request of the web client.
        self.env.invalidate_all()
        partners = partners.with_user(self.accountant)
        with self._frozen(TODAY):
            return {
                partner.name: (
                    partner.dunning_status,
                    partner.dunning_overdue_amount,
                    partner.dunning_oldest_due_date and str(partner.dunning_oldest_due_date),
                    partner.dunning_next_date and str(partner.dunning_next_date),
                    partner.dunning_next_level_id.name or False,
                )
                for partner in partners
            }

    def test_status_of_each_customer(self):
        # 13 March: Reminded (16 days late) gets its first reminder, marked.
        reminders_13 = self._run_and_mark("2026-03-13")
        self.assertEqual(reminders_13.partner_id, self.reminded)
        # Before the run of 15 March, To Act's first reminder (J+15) is due today.
        self.assertEqual(self._cockpit(self.to_act)["Cockpit To Act"][0], "to_act")
        reminders_15 = self._run(TODAY)
        self.assertEqual(reminders_15.partner_id, self.to_act)
        self.assertEqual(
            self._cockpit(self.customers),
            {
                "Cockpit Nothing": ("nothing_due", 0.0, False, False, False),
                "Cockpit Waiting": ("waiting", 0.0, "2026-04-30", "2026-04-28", "Courtesy notice"),
                # Marked on 13 March: J+30 on 27 March (after the 7 days minimum).
                "Cockpit Reminded": (
                    "waiting",
                    2000.0,
                    "2026-02-25",
                    "2026-03-27",
                    "Second reminder",
                ),
                "Cockpit To Act": ("to_act", 1000.0, "2026-02-28", False, False),
                "Cockpit Paused": ("paused", 3000.0, "2026-02-01", False, False),
                # Its invoice not yet due has its courtesy notice planned.
                "Cockpit Litigation": (
                    "litigation",
                    4000.0,
                    "2025-12-01",
                    "2026-03-30",
                    "Courtesy notice",
                ),
            },
        )
        reminded = self.reminded.with_user(self.accountant)
        self.assertEqual(reminded.dunning_last_reminder_id, reminders_13)
        self.assertEqual(reminded.dunning_last_reminder_date, date(2026, 3, 13))
        self.assertFalse(self.to_act.with_user(self.accountant).dunning_last_reminder_id)

        Partner = self.env["res.partner"].with_user(self.accountant)
        with self._frozen(TODAY):
            for status, expected in [
                ("to_act", self.to_act),
                ("paused", self.paused),
                ("litigation", self.litigation),
                ("waiting", self.waiting + self.reminded),
                ("nothing_due", self.nothing),
            ]:
                found = Partner.search(
                    [("id", "in", self.customers.ids), ("dunning_status", "=", status)]
                )
                self.assertEqual(found, expected, status)
            overdue = Partner.search(
                [("id", "in", self.customers.ids), ("dunning_overdue_amount", ">", 0)]
            )
            self.assertEqual(overdue, self.reminded + self.to_act + self.paused + self.litigation)
            small = Partner.search(
                [("id", "in", self.customers.ids), ("dunning_overdue_amount", "<", 1500)]
            )
            self.assertEqual(small, self.nothing + self.waiting + self.to_act)

    def test_contact_shows_its_company(self):
        contact = self.env["res.partner"].create(
            {"name": "Accounts Payable", "parent_id": self.paused.id, "type": "invoice"}
        )
        self.assertEqual(self._cockpit(contact)["Accounts Payable"][:2], ("paused", 3000.0))

    def test_excluded_customer_is_paused(self):
        self.reminded.dunning_excluded = True
        self.assertEqual(self._cockpit(self.reminded)["Cockpit Reminded"][0], "paused")

    def test_filters_match_the_columns(self):
        """The cockpit's filters are SQL subqueries: they find exactly the
        customers whose columns show the value searched, for every status and
        operator, one status per customer (the first that applies)."""
        self._run_and_mark("2026-03-13")
        self._run(TODAY)
        self.reminded.dunning_excluded = True  # paused, although planned
        cockpit = self._cockpit(self.customers)
        self.assertEqual(
            {name: values[0] for name, values in cockpit.items()},
            {
                "Cockpit Nothing": "nothing_due",
                "Cockpit Waiting": "waiting",
                "Cockpit Reminded": "paused",
                "Cockpit To Act": "to_act",
                "Cockpit Paused": "paused",
                "Cockpit Litigation": "litigation",
            },
        )
        Partner = self.env["res.partner"].with_user(self.accountant)
        statuses = [status for status, __ in DUNNING_STATUSES]

        def search(domain):
            with self._frozen(TODAY):
                found = Partner.search([("id", "in", self.customers.ids), *domain])
            return sorted(found.mapped("name"))

        def expected(test):
            return sorted(name for name, values in cockpit.items() if test(values))

        for status in statuses:
            for operator, test in [
                ("=", lambda values, s=status: values[0] == s),
                ("!=", lambda values, s=status: values[0] != s),
            ]:
                self.assertEqual(
                    search([("dunning_status", operator, status)]),
                    expected(test),
                    f"dunning_status {operator} {status}",
                )
        for chosen in [("to_act", "paused"), ("nothing_due", "litigation"), ("waiting",)]:
            self.assertEqual(
                search([("dunning_status", "in", list(chosen))]),
                expected(lambda values, c=chosen: values[0] in c),
            )
            self.assertEqual(
                search([("dunning_status", "not in", list(chosen))]),
                expected(lambda values, c=chosen: values[0] not in c),
            )
        for operator, compare in SEARCH_OPERATORS.items():
            for amount in (0.0, 1000.0, 2500.0):
                self.assertEqual(
                    search([("dunning_overdue_amount", operator, amount)]),
                    expected(lambda values, c=compare, a=amount: c(values[1], a)),
                    f"dunning_overdue_amount {operator} {amount}",
                )

    def test_sorted_on_the_figures(self):
        self._run(TODAY)
        Partner = self.env["res.partner"].with_user(self.accountant)
        fields_info = Partner.fields_get(["dunning_overdue_amount", "dunning_oldest_due_date"])
        self.assertTrue(all(info["sortable"] for info in fields_info.values()))
        with self._frozen(TODAY):
            by_overdue = Partner.search(
                [("id", "in", self.customers.ids)], order="dunning_overdue_amount desc, name"
            )
            by_oldest = Partner.search(
                [("id", "in", self.customers.ids), ("dunning_status", "!=", "nothing_due")],
                order="dunning_oldest_due_date, name",
            )
        self.assertEqual(
            by_overdue.mapped("name"),
            [
                "Cockpit Litigation",  # 4,000
                "Cockpit Paused",  # 3,000
                "Cockpit Reminded",  # 2,000
                "Cockpit To Act",  # 1,000
                "Cockpit Nothing",
                "Cockpit Waiting",
            ],
        )
        self.assertEqual(
            by_oldest.mapped("name"),
            [
                "Cockpit Litigation",  # 1 December 2025
                "Cockpit Paused",  # 1 February
                "Cockpit Reminded",  # 25 February
                "Cockpit To Act",  # 28 February
                "Cockpit Waiting",  # 30 April
            ],
        )

    def test_filters_in_one_query_each(self):
        """A filter of the cockpit is one query, whatever the number of
        customers: no figure computed in Python for all of them."""
        self._run(TODAY)
        Partner = self.env["res.partner"].with_user(self.accountant)
        self.env.flush_all()
        for domain in (
            [("dunning_status", "!=", "nothing_due")],
            [("dunning_status", "=", "to_act")],
            [("dunning_overdue_amount", ">", 0)],
            [("dunning_overdue_amount", ">=", 1500)],
        ):
            with self._frozen(TODAY):
                Partner.search(domain)  # record rules and caches warm
                # The search, and turning PostgreSQL's JIT compiler off.
                with self.assertQueryCount(2):
                    Partner.search(domain)


@tagged("post_install", "-at_install")
class TestRemindNow(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.acme = cls.customer_company
        cls.late = cls._create_invoice(cls.acme, "2026-02-20", 1000.0)  # 23 days
        cls.not_due = cls._create_invoice(cls.acme, "2026-04-20", 500.0)
        cls.calm = cls._create_customer("Calm Customer", cls.category_company)
        cls._create_invoice(cls.calm, "2026-04-20", 700.0)

    def _remind_now(self, partners):
        with self._frozen(TODAY):
            return partners.with_user(self.accountant).action_dunning_remind_now()

    def test_remind_now_creates_what_the_run_would(self):
        action = self._remind_now(self.acme + self.calm)
        reminder = self.env["dunning.reminder"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "dunning.reminder")
        self.assertEqual(reminder.partner_id, self.acme)
        self.assertEqual(reminder.level_id, self.level_first)
        self.assertEqual(reminder.date, date(2026, 3, 15))
        self.assertEqual(self._level_lines(reminder), {self.late: self.level_first})
        self.assertEqual(reminder.amount_reminded, 1000.0)
        self.assertEqual(self.late.dunning_state, "to_remind")
        # The daily run of the same day has nothing more to do for them.
        self.assertFalse(self._run(TODAY).filtered(lambda r: r.partner_id == self.acme))

    def test_remind_now_after_a_cancelled_reminder(self):
        """The run examines an invoice once a day; "Remind now" looks again."""
        first = self._run(TODAY)
        with self._frozen(TODAY):
            self._as_accountant(first).action_cancel()
        self.assertFalse(self._run(TODAY), "the run already looked today")
        action = self._remind_now(self.acme)
        again = self.env["dunning.reminder"].browse(action["res_id"])
        self.assertEqual(again.state, "draft")
        self.assertEqual(self._level_lines(again), {self.late: self.level_first})

    def test_nothing_to_remind(self):
        action = self._remind_now(self.calm)
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("Nothing to remind today for Calm Customer", action["params"]["message"])
        self.assertFalse(self.env["dunning.reminder"].search([("partner_id", "=", self.calm.id)]))


@tagged("post_install", "-at_install")
class TestRunPreview(DunningCommon):
    """On 15 March, preview the run of 16 March (the default: tomorrow)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        new = cls._create_customer
        cls.first = new("Preview First", cls.category_company)
        cls.courtesy = new("Preview Courtesy", cls.category_company)
        cls.promise = new("Preview Promise", cls.category_company)
        cls.jeanne = cls.customer_individual
        inv = cls._create_invoice
        cls.inv_first = inv(cls.first, "2026-03-01", 1200.0)  # J+15 on 16 March
        cls.inv_courtesy = inv(cls.courtesy, "2026-03-18", 300.0)  # J-2 on 16 March
        cls.inv_promise = inv(cls.promise, "2026-02-01", 900.0)  # 43 days: J+30
        cls.inv_jeanne = inv(cls.jeanne, "2026-03-09", 450.0)  # J+7 on 16 March
        inv(cls.jeanne, "2026-05-01", 80.0)  # nothing for it
        # The promise to pay ends on 16 March: the run resumes it, then reminds.
        cls.inv_promise._dunning_pause("promise", until=date(2026, 3, 16))

    def _preview(self):
        with self._frozen(TODAY):
            preview = self.env["dunning.run.preview"].with_user(self.accountant).create({})
            self.assertEqual(preview.date, date(2026, 3, 16))
            preview.action_preview()
        return preview

    @staticmethod
    def _summary(partner, level, invoices, amount, currency):
        return (partner.name, level.name, tuple(sorted(invoices.mapped("name"))), amount, currency)

    def test_preview_equals_the_run(self):
        sequence = self.env["ir.sequence"].search([("code", "=", "dunning.reminder")], limit=1)
        number_before = sequence.number_next_actual
        reminders_before = self.env["dunning.reminder"].search_count([])
        preview = self._preview()

        # Nothing was created nor changed, no number drawn.
        self.assertEqual(self.env["dunning.reminder"].search_count([]), reminders_before)
        self.assertEqual(self.inv_promise.dunning_pause_reason, "promise")
        self.assertFalse(self.inv_first.dunning_checked_date)
        sequence.invalidate_recordset()
        self.assertEqual(sequence.number_next_actual, number_before)

        previewed = sorted(
            self._summary(
                line.partner_id,
                line.level_id,
                line.invoice_ids,
                line.amount_reminded,
                line.currency_id,
            )
            for line in preview.line_ids
        )
        friendly = self.scenario_consumer._get_sorted_levels()[0]
        self.assertEqual(
            [(name, level) for name, level, *__ in previewed],
            [
                ("Jeanne Martin", friendly.name),
                ("Preview Courtesy", "Courtesy notice"),
                ("Preview First", "First reminder"),
                ("Preview Promise", "Second reminder"),
            ],
        )
        self.assertEqual(preview.reminder_count, 4)
        self.assertEqual(preview.auto_send_count, 0)

        created = self._run("2026-03-16")
        actual = sorted(
            self._summary(
                r.partner_id, r.level_id, r.level_line_ids.move_id, r.amount_reminded, r.currency_id
            )
            for r in created
        )
        self.assertEqual(previewed, actual)
