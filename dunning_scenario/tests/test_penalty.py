# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Late-payment penalties, computed by hand in the comments, to the cent.

Rates shipped with the addon (data/dunning_interest_rate_data.xml):

    period   ECB   legal (other cases)
    2025 H1  3.15  3.71
    2025 H2  2.15  2.76
    2026 H1  2.15  2.62
    2026 H2  (missing: tests that need it create a fake one, ECB 4.00)

Formula: amount due incl. VAT x annual rate x days / 365, days counted from
the day after the due date (or after the formal notice for consumers) to the
reminder's date included; rounded once per invoice.

The test company's currency is EUR; customers speak en_US, so notes show
dates as MM/DD/YYYY.
"""

import ast
from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import DunningCommon

EUR = "\N{NO-BREAK SPACE}€"


class PenaltyCommon(DunningCommon):
    """A French company keeping its books in euros, with a public-buyer scenario."""

    @classmethod
    def setup_independent_company(cls, **kwargs):
        return super().setup_independent_company(
            currency_id=cls._enable_currency("EUR").id, **kwargs
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.lang = "en_US"
        cls.scenario_public = cls._create_scenario(
            "Test Public Buyers",
            [
                ("First reminder", 30, {}),
                ("Formal notice", 60, {"is_formal_notice": True}),
            ],
            sequence=30,
            categories=cls.category_public,
            debtor_type="public",
            min_interval_days=7,
        )


@tagged("post_install", "-at_install")
class TestPenalty(PenaltyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_public = cls._create_customer("City Hospital", cls.category_public)
        cls.vat_20 = cls.env["account.tax"].create(
            {
                "name": "VAT 20 %",
                "amount": 20.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": cls.company.id,
            }
        )
        cls.Rate = cls.env["dunning.interest.rate"]

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _line(self, reminders, invoice):
        line = reminders.line_ids.filtered(lambda line: line.move_id == invoice)
        self.assertEqual(len(line), 1)
        return line

    def _add_fake_ecb_2026_h2(self):
        """2026 H2 is not published in the sources at hand: a clearly fake value."""
        return self.Rate.create(
            {
                "rate_type": "ecb",
                "date_from": "2026-07-01",
                "date_to": "2026-12-31",
                "rate": 4.0,
                "note": "TEST ONLY - fake value, not the published rate",
            }
        )

    def _set_contract_rate(self, rate, day="2026-03-01"):
        with self._frozen(day):
            self.company.write(
                {"dunning_penalty_rate_mode": "contract", "dunning_contract_rate": rate}
            )

    # ------------------------------------------------------------------
    # Business debtors: ECB + 10 points
    # ------------------------------------------------------------------

    def test_business_default_rate_within_one_half_year(self):
        # 1,000.00 + 20 % VAT = 1,200.00 due 2026-01-31, reminded 2026-03-17:
        # 45 days late (02-01 to 03-17) in 2026 H1: 2.15 + 10 = 12.15 %.
        # 1,200 x 0.1215 x 45 / 365 = 6,561 / 365 = 17.9753... -> 17.98
        invoice = self.init_invoice(
            "out_invoice",
            partner=self.customer_company,
            invoice_date=date(2026, 1, 1),
            amounts=[1000.0],
            taxes=self.vat_20,
        )
        invoice.write({"invoice_payment_term_id": False})
        invoice.invoice_date_due = date(2026, 1, 31)
        invoice.action_post()
        self.assertEqual(invoice.amount_total, 1200.0)
        reminder = self._run("2026-03-17")
        line = self._line(reminder, invoice)
        self.assertEqual(line.days_overdue, 45)
        self.assertEqual(line.penalty_amount, 17.98)
        self.assertEqual(line.penalty_rate, 12.15)
        self.assertEqual(line.indemnity_amount, 40.0)
        self.assertFalse(line.penalty_error)
        self.assertEqual(
            line.penalty_note,
            f"12.15 % a year on 1,200.00{EUR} from 02/01/2026 to 03/17/2026 (45 days)",
        )
        # 1,200.00 + 17.98 + 40.00 = 1,257.98
        self.assertEqual(reminder.amount_penalty, 17.98)
        self.assertEqual(reminder.amount_indemnity, 40.0)
        self.assertEqual(reminder.amount_total_claimed, 1257.98)
        self.assertFalse(reminder.penalty_missing_rate)

    def test_not_late_yet_no_penalty(self):
        # Courtesy notice on 2026-01-29 for an invoice due 2026-01-31: nothing owed.
        invoice = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        reminder = self._run("2026-01-29")
        line = self._line(reminder, invoice)
        self.assertEqual(line.level_id, self.level_courtesy)
        self.assertRecordValues(
            line,
            [
                {
                    "penalty_amount": 0.0,
                    "indemnity_amount": 0.0,
                    "penalty_note": False,
                    "penalty_error": False,
                }
            ],
        )
        self.assertEqual(reminder.amount_total_claimed, 1200.0)

    def test_business_across_1_july_2025(self):
        # 1,200.00 due 2025-06-15, reminded 2025-07-20 (35 days):
        #   06-16 to 06-30, 15 days at 3.15 + 10 = 13.15 %: 1,200 x 0.1315 x 15 / 365 = 6.484931
        #   07-01 to 07-20, 20 days at 2.15 + 10 = 12.15 %: 1,200 x 0.1215 x 20 / 365 = 7.989041
        #   total 14.473972 -> 14.47
        invoice = self._create_invoice(self.customer_company, "2025-06-15", 1200.0)
        line = self._line(self._run("2025-07-20"), invoice)
        self.assertEqual(line.penalty_amount, 14.47)
        self.assertEqual(line.penalty_rate, 12.15)
        self.assertEqual(
            line.penalty_note,
            f"13.15 % a year on 1,200.00{EUR} from 06/16/2025 to 06/30/2025 (15 days); "
            f"12.15 % a year on 1,200.00{EUR} from 07/01/2025 to 07/20/2025 (20 days)",
        )

    def test_business_across_1_july_2026_with_test_rate(self):
        # Fake ECB 2026 H2 = 4.00 %. 1,200.00 due 2026-06-20, reminded 2026-07-25:
        #   06-21 to 06-30, 10 days at 12.15 %: 1,200 x 0.1215 x 10 / 365 = 3.994521
        #   07-01 to 07-25, 25 days at 14.00 %: 1,200 x 0.14 x 25 / 365 = 11.506849
        #   total 15.501370 -> 15.50
        self._add_fake_ecb_2026_h2()
        invoice = self._create_invoice(self.customer_company, "2026-06-20", 1200.0)
        line = self._line(self._run("2026-07-25"), invoice)
        self.assertEqual(line.penalty_amount, 15.50)
        self.assertEqual(line.penalty_rate, 14.0)
        self.assertFalse(line.penalty_error)

    def test_contract_rate_above_floor(self):
        # Floor on 2026-03-01: 3 x 2.62 = 7.86 %; 15.00 % is accepted, and used
        # instead of ECB + 10. 1,200.00 due 2026-01-31, reminded 2026-03-17:
        # 1,200 x 0.15 x 45 / 365 = 8,100 / 365 = 22.191780 -> 22.19
        self._set_contract_rate(15.0)
        invoice = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        line = self._line(self._run("2026-03-17"), invoice)
        self.assertEqual(line.penalty_amount, 22.19)
        self.assertEqual(line.penalty_rate, 15.0)
        self.assertEqual(line.indemnity_amount, 40.0)
        # The floor itself is allowed.
        self._set_contract_rate(7.86)
        self.assertEqual(self.company.dunning_contract_rate, 7.86)

    def test_contract_rate_below_floor_refused(self):
        with self.assertRaises(ValidationError) as refused:
            self._set_contract_rate(5.0)
        self.assertEqual(
            str(refused.exception),
            "The contractual rate (5.00 %) cannot be below 3 times the legal interest rate "
            "in force on 2026-01-01, i.e. 7.86 %.",
        )
        # In 2025 H1 the floor was 3 x 3.71 = 11.13 %.
        with self.assertRaises(ValidationError) as refused:
            self._set_contract_rate(11.12, day="2025-05-01")
        self.assertIn("i.e. 11.13 %", str(refused.exception))
        # In 2026 H2 the legal rate is missing: the rate is checked against the
        # latest half-year known, 2026 H1 (floor 7.86 %), with a warning.
        with self.assertRaises(ValidationError) as refused:
            self._set_contract_rate(5.0, day="2026-11-22")
        self.assertIn("in force on 2026-01-01, i.e. 7.86 %", str(refused.exception))
        self._set_contract_rate(15.0, day="2026-11-22")
        self.assertEqual(self.company.dunning_contract_rate, 15.0)
        with self._frozen("2026-11-22"):
            self.company.invalidate_recordset(["dunning_contract_rate_warning"])
            self.assertEqual(
                self.company.dunning_contract_rate_warning,
                "The legal interest rate of 2026 H2 is not entered yet: the contractual rate "
                "was checked against that of 2026 H1. Each half-year's floor is checked again "
                "when penalties are computed.",
            )

    # ------------------------------------------------------------------
    # Public buyers: ECB + 8 points, fixed when lateness starts
    # ------------------------------------------------------------------

    def test_public_buyer_fixed_rate(self):
        # Invoice A 1,200.00 due 2025-06-10: late from 06-11, in 2025 H1, so
        # 3.15 + 8 = 11.15 % for the whole period, even after 1 July.
        #   reminded 2025-08-09: 06-11 to 08-09 = 20 + 31 + 9 = 60 days
        #   1,200 x 0.1115 x 60 / 365 = 8,028 / 365 = 21.994520 -> 21.99
        # Invoice B 600.00 due 2025-06-30: late from 07-01, in 2025 H2: 2.15 + 8 = 10.15 %.
        #   07-01 to 08-09 = 40 days: 600 x 0.1015 x 40 / 365 = 2,436 / 365 = 6.673972 -> 6.67
        invoice_a = self._create_invoice(self.customer_public, "2025-06-10", 1200.0)
        invoice_b = self._create_invoice(self.customer_public, "2025-06-30", 600.0)
        reminder = self._run("2025-08-09")
        self.assertEqual(reminder.scenario_id, self.scenario_public)
        line_a, line_b = (
            self._line(reminder, invoice_a),
            self._line(reminder, invoice_b),
        )
        self.assertEqual(line_a.penalty_amount, 21.99)
        self.assertEqual(line_a.penalty_rate, 11.15)
        self.assertEqual(
            line_a.penalty_note,
            f"11.15 % a year on 1,200.00{EUR} from 06/11/2025 to 08/09/2025 (60 days)",
        )
        self.assertEqual(line_b.penalty_amount, 6.67)
        self.assertEqual(line_b.penalty_rate, 10.15)
        # The flat indemnity applies to public buyers: 2 invoices, 80.00.
        self.assertEqual(reminder.amount_indemnity, 80.0)

    # ------------------------------------------------------------------
    # Consumers: legal rate, only after the formal notice, no indemnity
    # ------------------------------------------------------------------

    def test_consumer_before_and_after_formal_notice(self):
        invoice = self._create_invoice(self.customer_individual, "2026-01-31", 1200.0)
        # 2026-02-25, J+25: second reminder, no formal notice yet: nothing owed.
        reminder = self._run("2026-02-25")
        line = self._line(reminder, invoice)
        self.assertEqual(line.penalty_amount, 0.0)
        self.assertEqual(line.indemnity_amount, 0.0)
        self.assertEqual(line.penalty_note, "No legal interest before a formal notice.")
        self._mark(reminder, "2026-02-25")
        # 2026-03-17, J+45: the formal notice itself; interest runs from it.
        notice = self._run("2026-03-17")
        line = self._line(notice, invoice)
        self.assertEqual(line.level_id, self.scenario_consumer._get_sorted_levels()[2])
        self.assertEqual(line.penalty_amount, 0.0)
        self.assertEqual(line.penalty_note, "Legal interest runs from this formal notice.")
        self._mark(notice, "2026-03-17")
        self.assertEqual(invoice.dunning_formal_notice_date, date(2026, 3, 17))
        self.assertEqual(line.penalty_note, "Legal interest runs from this formal notice.")
        # 2026-04-16, J+75: litigation. Interest from 03-18 to 04-16 = 30 days
        # at the legal rate (other cases) of 2026 H1, 2.62 %:
        # 1,200 x 0.0262 x 30 / 365 = 943.2 / 365 = 2.584109 -> 2.58; no indemnity.
        litigation = self._run("2026-04-16")
        line = self._line(litigation, invoice)
        self.assertEqual(line.penalty_amount, 2.58)
        self.assertEqual(line.penalty_rate, 2.62)
        self.assertEqual(line.indemnity_amount, 0.0)
        self.assertEqual(
            line.penalty_note,
            f"2.62 % a year on 1,200.00{EUR} from 03/18/2026 to 04/16/2026 (30 days)",
        )
        self.assertEqual(litigation.amount_total_claimed, 1202.58)

    def test_consumer_legal_rate_per_half_year(self):
        # Formal notice on 2025-06-20, reminded 2025-07-10:
        #   06-21 to 06-30, 10 days at 3.71 %: 1,200 x 0.0371 x 10 / 365 = 1.219726
        #   07-01 to 07-10, 10 days at 2.76 %: 1,200 x 0.0276 x 10 / 365 = 0.907397
        #   total 2.127123 -> 2.13
        invoice = self._create_invoice(self.customer_individual, "2025-05-01", 1200.0)
        invoice.sudo().dunning_formal_notice_date = date(2025, 6, 20)
        line = self._line(self._run("2025-07-10"), invoice)
        self.assertEqual(line.penalty_amount, 2.13)
        self.assertEqual(line.penalty_rate, 2.76)

    # ------------------------------------------------------------------
    # Partial payments, several invoices, several reminders
    # ------------------------------------------------------------------

    def test_partial_payment_in_the_middle(self):
        # 1,200.00 due 2026-01-31, 500.00 paid on 2026-02-20, reminded 2026-03-17:
        #   02-01 to 02-20, 20 days on 1,200.00: 1,200 x 0.1215 x 20 / 365 = 7.989041
        #   02-21 to 03-17, 25 days on   700.00:   700 x 0.1215 x 25 / 365 = 5.825342
        #   total 13.814383 -> 13.81 (not 700 x 45 days = 10.49, nor 1,200 x 45 = 17.98)
        invoice = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        self._pay(invoice, 500.0, date(2026, 2, 20))
        reminder = self._run("2026-03-17")
        line = self._line(reminder, invoice)
        self.assertEqual(line.amount_residual, 700.0)
        self.assertEqual(line.penalty_amount, 13.81)
        self.assertEqual(
            line.penalty_note,
            f"12.15 % a year on 1,200.00{EUR} from 02/01/2026 to 02/20/2026 (20 days); "
            f"12.15 % a year on 700.00{EUR} from 02/21/2026 to 03/17/2026 (25 days)",
        )
        # Sent, the reminder is the record of what was claimed: a payment
        # registered afterwards (even dated before it) does not change it.
        self._send(reminder, "2026-03-17")
        self._pay(invoice, 100.0, date(2026, 3, 10))
        self.env.invalidate_all()
        self.assertEqual(line.penalty_amount, 13.81)
        self.assertEqual(reminder.amount_total_claimed, 700.0 + 13.81 + 40.0)

    def test_draft_sent_later_counts_to_the_sending_date(self):
        # Prepared on 2026-03-10 (38 days: 1,200 x 0.1215 x 38 / 365 = 15.178356 -> 15.18),
        # sent on 2026-03-17: the reminder takes the sending date, 45 days: 17.98.
        invoice = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        reminder = self._run("2026-03-10")
        line = self._line(reminder, invoice)
        self.assertEqual(line.penalty_amount, 15.18)
        self._send(reminder, "2026-03-17")
        self.assertEqual(reminder.date, date(2026, 3, 17))
        self.assertEqual(line.penalty_amount, 17.98)
        self.assertIn("to 03/17/2026 (45 days)", line.penalty_note)

    def test_two_invoices_two_indemnities(self):
        # A: 1,200.00 due 2026-01-31, 45 days on 2026-03-17: 17.98 (see above)
        # B:   600.00 due 2026-02-10, 35 days: 600 x 0.1215 x 35 / 365 = 6.990411 -> 6.99
        # Indemnities: 2 x 40.00 = 80.00. Claimed: 1,800 + 24.97 + 80 = 1,904.97
        invoice_a = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        invoice_b = self._create_invoice(self.customer_company, "2026-02-10", 600.0)
        reminder = self._run("2026-03-17")
        self.assertEqual(self._line(reminder, invoice_a).penalty_amount, 17.98)
        self.assertEqual(self._line(reminder, invoice_b).penalty_amount, 6.99)
        self.assertEqual(reminder.amount_indemnity, 80.0)
        self.assertEqual(reminder.amount_penalty, 24.97)
        self.assertEqual(reminder.amount_total_claimed, 1904.97)

    def test_second_reminder_does_not_invoice_a_second_indemnity(self):
        # 1,200.00 due 2026-01-31.
        # Reminder 1 on 2026-03-03 (31 days): 1,200 x 0.1215 x 31 / 365 = 12.383013 -> 12.38
        # Reminder 2 on 2026-03-17 (45 days): 17.98; left to invoice 17.98 - 12.38 = 5.60
        self.company.dunning_invoice_penalties = True
        invoice = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        first = self._run("2026-03-03")
        with self.assertRaisesRegex(UserError, "Only the penalties of a sent reminder"):
            self._as_accountant(first).action_invoice_penalties()
        self._mark(first, "2026-03-03")
        self.assertEqual(first.amount_penalty, 12.38)
        self._as_accountant(first).action_invoice_penalties()
        penalty_invoice = first.penalty_invoice_id
        self.assertEqual(penalty_invoice.state, "draft")
        self.assertEqual(penalty_invoice.partner_id, self.customer_company)
        self.assertRecordValues(
            penalty_invoice.invoice_line_ids,
            [
                {"price_unit": 12.38, "tax_ids": []},
                {"price_unit": 40.0, "tax_ids": []},
            ],
        )
        names = penalty_invoice.invoice_line_ids.mapped("name")
        self.assertTrue(names[0].startswith(f"Late-payment interest on {invoice.name}: 12.15 %"))
        self.assertEqual(
            names[1],
            f"Flat indemnity for recovery costs, invoice {invoice.name} paid late "
            "(outside the scope of VAT)",
        )
        self.assertEqual(penalty_invoice.amount_total, 52.38)
        self.assertEqual(penalty_invoice.amount_tax, 0.0)
        with self.assertRaisesRegex(UserError, "already invoiced"):
            self._as_accountant(first).action_invoice_penalties()

        second = self._run("2026-03-17")
        # The indemnity is still stated (owed since the first day late)...
        self.assertEqual(second.amount_indemnity, 40.0)
        self.assertEqual(second.amount_penalty, 17.98)
        self._mark(second, "2026-03-17")
        self._as_accountant(second).action_invoice_penalties()
        # ... but invoiced only once: the second invoice has the extra interest only.
        self.assertRecordValues(second.penalty_invoice_id.invoice_line_ids, [{"price_unit": 5.60}])
        self.assertIn("less 12.38", second.penalty_invoice_id.invoice_line_ids.name)
        invoiced = self.env["dunning.reminder.line"].search([("move_id", "=", invoice.id)])
        self.assertEqual(sum(invoiced.mapped("indemnity_invoiced_amount")), 40.0)

    def test_invoice_penalties_needs_the_option(self):
        invoice = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        reminder = self._run("2026-03-17")
        self._mark(reminder, "2026-03-17")
        self.assertTrue(self._line(reminder, invoice).penalty_amount)
        with self.assertRaisesRegex(UserError, "Invoicing the penalties is not enabled"):
            self._as_accountant(reminder).action_invoice_penalties()

    # ------------------------------------------------------------------
    # Missing rate
    # ------------------------------------------------------------------

    def test_missing_rate_period(self):
        # 2026 H2 has no ECB rate: a clear message, the reminder still made and sent.
        with self.assertRaises(UserError) as missing:
            self.Rate._get_rate("ecb", date(2026, 8, 1))
        self.assertEqual(
            str(missing.exception),
            "No ECB main refinancing rate for 2026 H2 (from 2026-07-01): enter it in "
            "Accounting > Configuration > Interest Rates.",
        )
        invoice = self._create_invoice(self.customer_company, "2026-06-15", 1200.0)
        reminder = self._run("2026-07-20")
        line = self._line(reminder, invoice)
        self.assertTrue(line.penalty_error)
        self.assertEqual(line.penalty_amount, 0.0)
        # The accountant is told which rate to enter; the customer documents
        # state the legal basis only, with no amount and no internal word.
        self.assertEqual(
            line.penalty_error_message,
            "Not computed: rate for 2026 H2 missing (ECB main refinancing rate)",
        )
        self.assertEqual(
            line.penalty_note,
            "Late-payment penalties are due from the day after the due date (French Commercial "
            "Code, article L441-10); their amount for 2026 H2 will be stated once the reference "
            "rate of that half-year is published.",
        )
        # The indemnity needs no rate.
        self.assertEqual(line.indemnity_amount, 40.0)
        self.assertTrue(reminder.penalty_missing_rate)
        self.assertEqual(
            reminder.penalty_missing_message,
            "Not computed: rate for 2026 H2 missing (ECB main refinancing rate)",
        )
        self.assertIn(
            reminder,
            self.env["dunning.reminder"].search([("penalty_missing_rate", "=", True)]),
        )

        # Entering the rate completes the reminders still to send:
        #   06-16 to 06-30, 15 days at 12.15 %: 1,200 x 0.1215 x 15 / 365 = 5.991780
        #   07-01 to 07-20, 20 days at 14.00 % (fake 4.00 + 10): 1,200 x 0.14 x 20 / 365 = 9.205479
        #   total 15.197260 -> 15.20
        self._add_fake_ecb_2026_h2()
        self.assertFalse(line.penalty_error)
        self.assertEqual(line.penalty_amount, 15.20)
        self.assertFalse(reminder.penalty_missing_rate)

    def test_missing_rate_does_not_stop_sending(self):
        invoice = self._create_invoice(self.customer_company, "2026-06-15", 1200.0)
        reminder = self._run("2026-07-20")
        self._send(reminder, "2026-07-20")
        self.assertEqual(reminder.state, "sent")
        self.assertEqual(invoice.dunning_level_id, self.level_second)
        # Once sent, a rate entered later does not rewrite what was claimed.
        self._add_fake_ecb_2026_h2()
        self.assertTrue(self._line(reminder, invoice).penalty_error)

    # ------------------------------------------------------------------
    # Foreign currency
    # ------------------------------------------------------------------

    def test_foreign_currency_invoice(self):
        # 1 EUR = 1.25 USD from 2026-01-01, 1.20 USD from 2026-03-01.
        # $1,200.00 due 2026-01-31, reminded 2026-03-17: interest in the invoice's
        # currency, $17.98 (as in the first test), converted at the reminder's
        # date: 17.98 / 1.20 = 14.983 -> 14.98 EUR. The flat indemnity is set in
        # euros by law: 40.00 EUR, not converted. Left to pay in EUR at the
        # invoice's rate: 1,200 / 1.25 = 960.00. The reminder is in the invoice's
        # currency (one currency per message): claimed $1,200.00 + $17.98 =
        # $1,217.98; the 40.00 EUR indemnity is stated apart, in euros.
        usd = self.setup_other_currency("USD", rates=[("2026-01-01", 1.25), ("2026-03-01", 1.20)])
        invoice = self._create_invoice(
            self.customer_company,
            "2026-01-31",
            1200.0,
            invoice_date="2026-01-01",
            currency=usd,
        )
        reminder = self._run("2026-03-17")
        line = self._line(reminder, invoice)
        self.assertEqual(line.penalty_amount_currency, 17.98)
        self.assertEqual(line.penalty_amount, 14.98)
        self.assertEqual(line.indemnity_amount, 40.0)
        self.assertEqual(line.amount_residual_company, 960.0)
        self.assertIn("on $\N{NO-BREAK SPACE}1,200.00 from 02/01/2026", line.penalty_note)
        self.assertEqual(reminder.currency_id, usd)
        self.assertEqual(reminder.amount_total_claimed, 1217.98)
        self.assertEqual(reminder.amount_indemnity, 40.0)

    # ------------------------------------------------------------------
    # Rates, levels, limitation dates
    # ------------------------------------------------------------------

    def test_rates_are_data(self):
        self.assertEqual(self.Rate._get_rate("ecb", date(2026, 3, 1)), 2.15)
        self.assertEqual(self.Rate._get_rate("legal_other", date(2025, 12, 31)), 2.76)
        self.assertEqual(self.Rate._get_rate("legal_individual", date(2025, 1, 1)), 7.21)
        # The accountant reads the rates; only the administrator changes them.
        rate = self.env.ref("dunning_scenario.interest_rate_ecb_2026_h1")
        self.assertEqual(
            rate.with_user(self.accountant).display_name,
            "ECB main refinancing rate 2026 H1: 2.15 %",
        )
        with self.assertRaises(AccessError):
            rate.with_user(self.accountant).rate = 3.0
        with self.assertRaisesRegex(ValidationError, "overlaps"):
            self.Rate.create(
                {
                    "rate_type": "ecb",
                    "date_from": "2026-01-01",
                    "date_to": "2026-06-30",
                    "rate": 1.0,
                }
            )
        with self.assertRaisesRegex(ValidationError, "whole half-years"):
            self.Rate.create(
                {
                    "rate_type": "ecb",
                    "date_from": "2026-07-15",
                    "date_to": "2026-12-31",
                    "rate": 1.0,
                }
            )

    def test_formal_notice_level_always_shows_penalties(self):
        self.assertTrue(self.level_formal_notice.show_penalties)
        self.assertFalse(self.level_first.show_penalties)
        self.level_first.show_penalties = True
        self.assertTrue(self.level_first.show_penalties)
        level = self.env["dunning.level"].create(
            {
                "scenario_id": self.scenario_public.id,
                "sequence": 100,
                "name": "Late notice",
                "delay_days": 90,
            }
        )
        self.assertFalse(level.show_penalties)
        level.is_formal_notice = True
        self.assertTrue(level.show_penalties)

    def test_prescription_watch(self):
        # Business: due date + 5 years; consumer: + 2 years.
        business = self._create_invoice(self.customer_company, "2026-01-31", 100.0)
        consumer = self._create_invoice(self.customer_individual, "2026-01-31", 100.0)
        self.assertEqual(business.dunning_prescription_date, date(2031, 1, 31))
        self.assertEqual(consumer.dunning_prescription_date, date(2028, 1, 31))
        # The customer becomes a company: the business rule applies.
        self.customer_individual.category_id = [Command.set(self.category_company.ids)]
        self.assertEqual(consumer.dunning_prescription_date, date(2031, 1, 31))
        self.customer_individual.category_id = [Command.set(self.category_individual.ids)]
        # The "Prescription within 90 days" filter of the watch list, on 2027-11-15.
        action = self.env.ref("dunning_scenario.account_move_action_dunning_prescription")
        domain = ast.literal_eval(action.domain) + [
            ("dunning_prescription_date", "<=", "2028-02-13"),
            ("company_id", "=", self.company.id),
        ]
        self.assertEqual(
            self.env["account.move"].with_user(self.accountant).search(domain), consumer
        )
