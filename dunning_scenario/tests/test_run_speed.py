# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the daily run computes faster than the ORM must be what the ORM
computes: Odoo's rounding, the customers' scenarios (one query for a batch),
the rows written by COPY, the short codes."""

import random
import sys

import psycopg2

from odoo import Command, sql_db
from odoo.tests import tagged
from odoo.tools import float_compare, float_round

from odoo.addons.dunning_scenario.models.dunning_float import Rounding
from odoo.addons.dunning_scenario.models.dunning_reminder import (
    SHORT_CODE_ALPHABET,
    SHORT_CODE_LENGTH,
)
from odoo.addons.dunning_scenario.models.dunning_reminder_line import EMPTY_PENALTY
from odoo.addons.dunning_scenario.models.dunning_run_insert import short_codes
from odoo.addons.dunning_scenario.models.dunning_writer import BackgroundWriter

from .common import DunningCommon

# Invoices due on DUE reach the first level of the test companies (J+15) on RUN.
DUE = "2026-03-31"
RUN = "2026-04-17"


@tagged("post_install", "-at_install")
class TestRunSpeed(DunningCommon):
    def test_rounding_is_float_round(self):
        rng = random.Random(12)
        values = [0.0, -0.0, 2.675, 1.005, 0.125, -0.125, 0.5, 2.5, -2.5, 1e-9, 0.015, 1 / 3]
        values += [rng.uniform(-1e6, 1e6) for __ in range(3000)]
        values += [rng.randint(-(10**6), 10**6) / 1000 + 0.005 for __ in range(3000)]
        for precision in (0.01, 0.001, 1.0, 0.05, 5.0, 10**-6):
            rounding = Rounding(precision)
            for value in values:
                self.assertEqual(
                    repr(rounding.round(value)),
                    repr(float_round(value, precision_rounding=precision)),
                    f"{value} at {precision}",
                )
            for first, second in zip(values, values[1:] + values[:1], strict=True):
                for other in (second, first + precision * 0.4, first + precision * 0.6, 0):
                    self.assertEqual(
                        rounding.compare(first, other),
                        float_compare(first, other, precision_rounding=precision),
                        f"{first} and {other} at {precision}",
                    )
        for digits in (0, 2, 4):
            self.assertEqual(
                Rounding.digits(digits).round(2.675),
                float_round(2.675, precision_digits=digits),
            )

    def test_short_codes(self):
        codes = short_codes(500)
        self.assertEqual(len(codes), 500)
        self.assertEqual(len(set(codes)), 500)
        for code in codes:
            self.assertEqual(len(code), SHORT_CODE_LENGTH)
            self.assertTrue(set(code) <= set(SHORT_CODE_ALPHABET))
        # every character of the alphabet comes out
        self.assertEqual(set("".join(codes)), set(SHORT_CODE_ALPHABET))
        self.assertEqual(short_codes(0), [])

    def test_copy_writes_the_values(self):
        # Lines written by COPY read back as given, whatever their text holds.
        self._create_invoice(self.customer_company, DUE, 300.0)
        reminder = self._run(RUN)
        self.assertEqual(len(reminder), 1)
        Reminder = self.env["dunning.reminder"]
        Line = self.env["dunning.reminder.line"]
        texts = [
            "None",
            "\\None",
            "\\N",
            "tab\there",
            "new\nline\r\nand\\backslash",
            "caf\u00e9 1\u00a0234,56\u00a0\u20ac",
            "",
            " ",
            "'quoted' \"twice\" %s %(name)s",
        ]
        rows = [
            {
                "reminder_id": reminder.id,
                "kind": "overdue",
                "kind_sequence": 2,
                "name": text or "x",
                "penalty_note": text,
                "penalty_error_message": None if index % 2 else text,
                "currency_id": self.company.currency_id.id,
                "amount_total": 1234.5 + index / 100,
                "amount_residual": -0.01 * index,
                "penalty_rate": 10.15,
                "penalty_amount": 1.5,
                "penalty_amount_currency": 1.5,
                "indemnity_amount": 40.0,
                "penalty_deducted_currency": 0.0,
                "penalty_error": bool(index % 2),
                "date": self._d(DUE),
                "date_due": None,
                "days_overdue": index,
                "move_paid_date": None,
            }
            for index, text in enumerate(texts)
        ]
        computed = {"kind_sequence", "move_paid_date"}
        ids = Reminder._dunning_insert_rows(Line, rows, computed | set(EMPTY_PENALTY))
        self.assertEqual(len(ids), len(rows))
        self.assertEqual(ids, sorted(ids))
        self.env.invalidate_all()
        for line_id, row in zip(ids, rows, strict=True):
            line = Line.browse(line_id)
            for name, value in row.items():
                got = line[name]
                if name in ("reminder_id", "currency_id"):
                    got = got.id
                expected = False if value is None else value
                self.assertEqual(got, expected, f"{name} of {row['name']!r}")
            # the company and its currency are the reminder's
            self.assertEqual(line.company_id, self.company)
            self.assertEqual(line.company_currency_id, self.company.currency_id)
        # the reminders (not their lines, which have none) get their author and dates
        self.assertTrue(reminder.create_uid and reminder.create_date and reminder.write_date)
        self.assertNotIn("create_uid", Line._fields)
        # a field that is not a column cannot be written by COPY
        with self.assertRaises(ValueError):
            Reminder._dunning_insert_rows(
                Line, [dict(rows[0], company_id=self.company.id)], computed | set(EMPTY_PENALTY)
            )

    def test_effective_scenarios_one_query_same_as_orm(self):
        # The rule read in one query for the daily run is the ORM's, for every
        # way of choosing a scenario, in two companies, with and without the
        # archived records in the context.
        Partner = self.env["res.partner"]
        other = self.setup_other_company(name="Other Dunning Company")["company"]
        other_default = self._create_scenario("Other Default", [("Call", 5, {})], company=other)
        other_tagged = self._create_scenario(
            "Other Individuals",
            [("Call", 5, {})],
            sequence=1,
            categories=self.category_individual,
            company=other,
        )
        other.dunning_default_scenario_id = other_default
        archived = self._create_scenario(
            "Archived Key Accounts",
            [("Call", 5, {})],
            sequence=1,
            categories=self.category_key_account | self.category_company,
        )
        archived.active = False
        archived_tag = self.env["res.partner.category"].create({"name": "Old Tag"})
        self._create_scenario(
            "Old Tag Scenario", [("Call", 5, {})], sequence=2, categories=archived_tag
        )
        archived_tag.active = False
        forced = self._create_customer("Forced", self.category_individual)
        forced.with_company(self.company).dunning_scenario_id = self.scenario_business
        forced_archived = self._create_customer("Forced Archived", self.category_individual)
        forced_archived.with_company(self.company).dunning_scenario_id = archived
        forced_other = self._create_customer("Forced Other Company")
        forced_other.with_company(self.company).dunning_scenario_id = other_tagged
        both = self._create_customer("Both Tags", self.category_company | self.category_individual)
        key_account = self._create_customer("Key Account", self.category_key_account)
        old_tag = self._create_customer("Old Tag", archived_tag)
        archived_customer = self._create_customer("Gone", self.category_individual)
        archived_customer.active = False
        contact = Partner.create({"name": "Contact", "parent_id": self.customer_individual.id})
        contact.category_id = [Command.set(self.category_company.ids)]
        customers = (
            self.customer_company
            | self.customer_individual
            | self.customer_plain
            | forced
            | forced_archived
            | forced_other
            | both
            | key_account
            | old_tag
            | archived_customer
            | contact
        )
        checked = 0
        for company in (self.company, other):
            for active_test in (True, False):
                partners = customers.with_context(active_test=active_test)
                orm = {
                    partner_id: scenario.id or None
                    for partner_id, scenario in partners._dunning_get_effective_scenarios(
                        company
                    ).items()
                }
                self.assertEqual(partners._dunning_get_effective_scenario_ids(company), orm)
                checked += 1
        self.assertEqual(checked, 4)
        # and the expected ones
        ids = customers._dunning_get_effective_scenario_ids(self.company)
        self.assertEqual(ids[forced.id], self.scenario_business.id)
        self.assertEqual(ids[forced_archived.id], self.scenario_consumer.id)
        self.assertEqual(ids[forced_other.id], self.scenario_business.id)
        self.assertEqual(ids[both.id], self.scenario_business.id)
        self.assertEqual(ids[key_account.id], self.scenario_business.id)
        self.assertEqual(ids[old_tag.id], self.scenario_business.id)
        self.assertEqual(ids[contact.id], self.scenario_consumer.id)
        other_ids = customers._dunning_get_effective_scenario_ids(other)
        self.assertEqual(other_ids[self.customer_individual.id], other_tagged.id)
        self.assertEqual(other_ids[self.customer_company.id], other_default.id)
        self.assertEqual(other_ids[forced_other.id], other_default.id)
        self.env["res.company"].browse(other.id).dunning_default_scenario_id = False
        self.assertIsNone(
            customers._dunning_get_effective_scenario_ids(other)[self.customer_plain.id]
        )

    def test_archived_scenario_of_a_category_not_followed_by_the_run(self):
        # A scenario archived keeps its categories: the run does not follow
        # it, as the customer's form says.
        archived = self._create_scenario(
            "Archived Key Accounts",
            [("Call", 1, {})],
            sequence=1,
            categories=self.category_key_account,
        )
        archived.active = False
        customer = self._create_customer("Key Account", self.category_key_account)
        self.assertEqual(
            self._as_accountant(customer).dunning_effective_scenario_id, self.scenario_business
        )
        self._create_invoice(customer, DUE, 300.0)
        reminder = self._run(RUN)
        self.assertEqual(reminder.scenario_id, self.scenario_business)

    def test_background_writers_share_the_switch_interval(self):
        # Writers of two threads (two cursors) ending in any order: the
        # interpreter's interval stays short while one runs, and comes back
        # to what it was once the last one ends.
        interval = sys.getswitchinterval()
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            first, second = BackgroundWriter(self.env.cr), BackgroundWriter(other)
            first.__enter__()
            second.__enter__()
            first.__exit__(None, None, None)
            self.assertLess(sys.getswitchinterval(), interval)
            second.__exit__(None, None, None)
        finally:
            other.close()
        self.assertEqual(sys.getswitchinterval(), interval)

    def test_background_writer_keeps_the_connection_in_order(self):
        # The second thread's COPY and this thread's queries share one
        # connection: a query made while a COPY is sent waits for it, sees what
        # it wrote, and an error of the COPY comes out of the block.
        cr = self.env.cr
        cr.execute("CREATE TEMPORARY TABLE dunning_writer_test (n int4 PRIMARY KEY, t varchar)")
        count = 100_000
        text = "".join(f"{n}\tline {n}\n" for n in range(count))
        interval = sys.getswitchinterval()
        with BackgroundWriter(cr) as writer:
            # (the interpreter hands its lock over more often while the writer runs)
            self.assertLessEqual(sys.getswitchinterval(), interval)
            writer.submit(("COPY dunning_writer_test FROM STDIN", text))
            cr.execute("SELECT COUNT(*), MAX(t) FROM dunning_writer_test")
            self.assertEqual(cr.fetchone(), (count, "line 99999"))
            # the ORM's queries too
            self.assertEqual(
                self.env["res.partner"].search_count([("id", "=", self.env.user.partner_id.id)]), 1
            )
            writer.submit(
                ("COPY dunning_writer_test FROM STDIN", f"{count}\tlast\n"),
                ("UPDATE dunning_writer_test SET t = 'first' WHERE n = 0", None),
            )
        self.assertNotIn("execute", cr.__dict__)
        self.assertEqual(sys.getswitchinterval(), interval)
        cr.execute("SELECT t FROM dunning_writer_test WHERE n IN (0, %s) ORDER BY n", [count])
        self.assertEqual(cr.fetchall(), [("first",), ("last",)])
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            cr.savepoint(),
            BackgroundWriter(cr) as writer,
        ):
            writer.submit(("COPY dunning_writer_test FROM STDIN", "1\tagain\n"))
        self.assertNotIn("execute", cr.__dict__)
        self.assertEqual(sys.getswitchinterval(), interval)
        cr.execute("SELECT COUNT(*) FROM dunning_writer_test")
        self.assertEqual(cr.fetchone()[0], count + 1)
