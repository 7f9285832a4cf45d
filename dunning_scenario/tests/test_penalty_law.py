# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""French late-payment law, second pass (issue 8): penalty invoices, invoices
paid late, contractual rates checked per half-year, rates since 2019, the
public buyers' four-year rule, unmatched payments, formal-notice dates.

Every amount is computed by hand in the comments, to the cent, with the rates
shipped in data/dunning_interest_rate_data.xml:

    half-year  ECB   legal (other cases)  B2B (ECB + 10)  floor (3 x legal)
    2021 S2    0.00  0.76                 10.00           2.28
    2022 S1    0.00  0.76                 10.00           2.28
    2022 S2    0.00  0.77                 10.00           2.31
    2023 S1    2.50  2.06                 12.50           6.18
    2023 S2    4.00  4.22                 14.00          12.66
    2025 S1    3.15  3.71                 13.15          11.13
    2025 S2    2.15  2.76                 12.15           8.28
    2026 S1    2.15  2.62                 12.15           7.86

Formula: amount x annual rate x days / 365, days counted from the day after
the due date (after the formal notice's receipt for consumers) to the
reminder's date included, rounded once per invoice. Customers speak en_US.
"""

import ast
from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .test_letter import LetterCommon
from .test_penalty import PenaltyCommon

EUR = "\N{NO-BREAK SPACE}€"


@tagged("post_install", "-at_install")
class TestPenaltyLaw(PenaltyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_public = cls._create_customer("Town Council", cls.category_public)
        cls.company.dunning_invoice_penalties = True
        cls.Claim = cls.env["dunning.paid.late"]

    def _line(self, reminders, invoice):
        line = reminders.line_ids.filtered(lambda line: line.move_id == invoice)
        self.assertEqual(len(line), 1)
        return line

    # ------------------------------------------------------------------
    # Penalty invoices
    # ------------------------------------------------------------------

    def test_penalty_invoice_reminded_without_new_indemnity_or_interest(self):
        # Invoice X: 1,200.00 due 2026-01-31.
        # Reminder 1 on 2026-03-03, 31 days late at 12.15 %:
        #   1,200 x 0.1215 x 31 / 365 = 4,519.80 / 365 = 12.383014 -> 12.38; indemnity 40.00
        invoice = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        first = self._run("2026-03-03")
        self._mark(first, "2026-03-03")
        self.assertEqual(self._line(first, invoice).penalty_amount, 12.38)
        # Invoiced: penalty invoice P = 12.38 + 40.00 = 52.38, posted on 2026-03-03
        # (due the same day).
        with self._frozen("2026-03-03"):
            self._as_accountant(first).action_invoice_penalties()
            penalty_invoice = first.penalty_invoice_id
            self.assertTrue(penalty_invoice.dunning_is_penalty_invoice)
            self.assertEqual(penalty_invoice.amount_total, 52.38)
            penalty_invoice.with_user(self.accountant).action_post()
        self.assertEqual(penalty_invoice.invoice_date_due, date(2026, 3, 3))

        # Reminder 2 on 2026-04-16: both invoices are listed.
        #   X: 75 days at 12.15 %: 1,200 x 0.1215 x 75 / 365 = 10,935 / 365 = 29.958904
        #      -> 29.96, less 12.38 already on P: 17.58; its indemnity is on P: 0.00
        #   P: 44 days late, but a penalty invoice: no interest, no indemnity.
        #   Net due 1,200.00 + 52.38 = 1,252.38; claimed 1,252.38 + 17.58 = 1,269.96,
        #   with one 40.00 indemnity in all (inside P).
        #   (Reminded like a sale, P would add 52.38 x 0.1215 x 44 / 365 = 0.77 and
        #   40.00, and X 12.38 + 40.00 again: 1,363.11 claimed, 80.00 of indemnities.)
        second = self._run("2026-04-16")
        line_x, line_p = self._line(second, invoice), self._line(second, penalty_invoice)
        self.assertRecordValues(
            line_x,
            [
                {
                    "penalty_amount": 17.58,
                    "penalty_deducted_currency": 12.38,
                    "indemnity_amount": 0.0,
                }
            ],
        )
        self.assertEqual(
            line_x.penalty_note,
            f"12.15 % a year on 1,200.00{EUR} from 02/01/2026 to 04/16/2026 (75 days); "
            f"less 12.38{EUR} already invoiced",
        )
        self.assertRecordValues(
            line_p, [{"penalty_amount": 0.0, "indemnity_amount": 0.0, "penalty_error": False}]
        )
        self.assertEqual(
            line_p.penalty_note,
            "Invoice of late-payment penalties: it bears no interest and no flat indemnity "
            "of its own.",
        )
        self.assertEqual(second.amount_net, 1252.38)
        self.assertEqual(second.amount_penalty, 17.58)
        self.assertEqual(second.amount_indemnity, 0.0)
        self.assertEqual(second.amount_total_claimed, 1269.96)

        # Invoicing the second reminder adds only the new interest, 17.58, nothing on P.
        self._mark(second, "2026-04-16")
        self._as_accountant(second).action_invoice_penalties()
        self.assertRecordValues(
            second.penalty_invoice_id.invoice_line_ids,
            [{"price_unit": 17.58, "dunning_penalty_source_id": invoice.id}],
        )

    def test_penalty_invoices_not_reminded_when_the_company_says_so(self):
        self.company.dunning_remind_penalty_invoices = False
        invoice = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        first = self._run("2026-03-03")
        self._mark(first, "2026-03-03")
        with self._frozen("2026-03-03"):
            self._as_accountant(first).action_invoice_penalties()
            self.assertTrue(first.penalty_invoice_id.dunning_excluded)
            first.penalty_invoice_id.action_post()
        # Not reminded at a level of its own; still listed as outstanding (it is
        # owed), with no penalty.
        second = self._run("2026-04-16")
        self.assertEqual(second.level_line_ids.move_id, invoice)
        line_p = self._line(second, first.penalty_invoice_id)
        self.assertEqual(line_p.kind, "overdue")
        self.assertEqual(line_p.penalty_amount + line_p.indemnity_amount, 0.0)

    def test_penalty_invoice_accounts(self):
        # Without a choice nor the French chart: the sales journal's account.
        invoice = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        reminder = self._run("2026-03-03")
        self._mark(reminder, "2026-03-03")
        self._as_accountant(reminder).action_invoice_penalties()
        sales = self.company_data["default_journal_sale"].default_account_id
        self.assertEqual(reminder.penalty_invoice_id.invoice_line_ids.account_id, sales)
        reminder.penalty_invoice_id.button_cancel()

        # The French chart (l10n_fr_account) installed: 7631 for the interest,
        # 758 for the indemnity, found by their chart xml ids.
        Account = self.env["account.account"]
        french = {}
        for xmlid, code, name in (
            ("pcg_7631", "763100", "Revenus des créances commerciales"),
            ("pcg_758", "758000", "Produits divers de gestion courante"),
        ):
            account = Account.create(
                {
                    "code": code,
                    "name": name,
                    "account_type": "income",
                    "company_ids": [Command.set(self.company.ids)],
                }
            )
            self.env["ir.model.data"].create(
                {
                    "module": "account",
                    "name": f"{self.company.id}_{xmlid}",
                    "model": "account.account",
                    "res_id": account.id,
                }
            )
            french[xmlid] = account
        self._as_accountant(reminder).action_invoice_penalties()
        self.assertRecordValues(
            reminder.penalty_invoice_id.invoice_line_ids,
            [
                {"dunning_penalty_kind": "interest", "account_id": french["pcg_7631"].id},
                {"dunning_penalty_kind": "indemnity", "account_id": french["pcg_758"].id},
            ],
        )
        reminder.penalty_invoice_id.button_cancel()

        # Chosen in Settings: those.
        interest_account = Account.create(
            {"code": "763800", "name": "Interest", "account_type": "income_other"}
        )
        settings = self.env["res.config.settings"].create(
            {"dunning_interest_account_id": interest_account.id}
        )
        settings.execute()
        self._as_accountant(reminder).action_invoice_penalties()
        self.assertEqual(
            reminder.penalty_invoice_id.invoice_line_ids.mapped("account_id"),
            interest_account | french["pcg_758"],
        )
        self.assertEqual(
            invoice.dunning_penalty_line_ids.move_id.filtered(lambda m: m.state != "cancel"),
            reminder.penalty_invoice_id,
        )

    # ------------------------------------------------------------------
    # Invoices paid late
    # ------------------------------------------------------------------

    def test_invoice_paid_late_before_any_reminder(self):
        # Y: 1,000.00 due 2026-01-31, paid in full on 2026-03-02, never reminded:
        #   30 days late at 12.15 %: 1,000 x 0.1215 x 30 / 365 = 3,645 / 365 = 9.986301
        #   -> 9.99, and the flat indemnity 40.00.
        paid_late = self._create_invoice(self.customer_company, "2026-01-31", 1000.0)
        self._pay(paid_late, 1000.0, date(2026, 3, 2))
        self.assertEqual(paid_late.payment_state, "paid")
        self.assertEqual(paid_late.dunning_reminder_count, 0)
        claim = self.Claim.with_user(self.accountant).search([("move_id", "=", paid_late.id)])
        self.assertRecordValues(
            claim,
            [
                {
                    "partner_id": self.customer_company.id,
                    "date_paid": date(2026, 3, 2),
                    "days_late": 30,
                    "interest_amount": 9.99,
                    "indemnity_amount": 40.0,
                    "state": "open",
                    "debtor_type": "business",
                }
            ],
        )
        self.assertEqual(
            claim.penalty_note,
            f"12.15 % a year on 1,000.00{EUR} from 02/01/2026 to 03/02/2026 (30 days)",
        )
        # An invoice paid on time is not listed.
        on_time = self._create_invoice(self.customer_company, "2026-03-31", 300.0)
        self._pay(on_time, 300.0, date(2026, 3, 31))
        self.assertFalse(self.Claim.search([("move_id", "=", on_time.id)]))

        # Z: 500.00 due 2026-03-01, reminded on 2026-03-20. By default the
        # reminders do not claim Y's penalties (many companies waive them).
        other = self._create_invoice(self.customer_company, "2026-03-01", 500.0)
        reminder = self._run("2026-03-20")
        self.assertEqual(reminder.line_ids.move_id, other)
        with self._frozen("2026-03-20"):
            self._as_accountant(reminder).action_cancel()

        # The company claims them: the next reminder lists Y as paid late.
        #   Y: 9.99 + 40.00 (interest stops on the payment day)
        #   Z: 20 days: 500 x 0.1215 x 20 / 365 = 1,215 / 365 = 3.328767 -> 3.33, + 40.00
        #   Net due 500.00; penalties 13.32; indemnities 80.00; claimed 593.32
        self.company.dunning_claim_paid_late = True
        reminder = self._run("2026-03-21")
        line_y = self._line(reminder, paid_late)
        self.assertRecordValues(
            line_y,
            [
                {
                    "kind": "paid_late",
                    "amount_residual": 0.0,
                    "penalty_amount": 9.99,
                    "indemnity_amount": 40.0,
                }
            ],
        )
        self.assertEqual(self._line(reminder, other).penalty_amount, 3.33)
        self.assertEqual(reminder.amount_net, 500.0)
        self.assertEqual(reminder.amount_penalty, 13.32)
        self.assertEqual(reminder.amount_indemnity, 80.0)
        self.assertEqual(reminder.amount_total_claimed, 593.32)
        # Sending keeps the paid-late line (it is paid on purpose).
        self._mark(reminder, "2026-03-21")
        self.assertIn(paid_late, reminder.line_ids.move_id)

        # "Invoice the penalties" from the list: one draft invoice for the customer.
        with self._frozen("2026-03-21"):
            action = claim.with_user(self.accountant).action_invoice()
        penalty_invoice = self.env["account.move"].search(action["domain"])
        self.assertRecordValues(
            penalty_invoice.invoice_line_ids,
            [
                {"price_unit": 9.99, "dunning_penalty_kind": "interest", "tax_ids": []},
                {"price_unit": 40.0, "dunning_penalty_kind": "indemnity", "tax_ids": []},
            ],
        )
        self.assertEqual(penalty_invoice.amount_total, 49.99)
        self.assertTrue(penalty_invoice.dunning_is_penalty_invoice)
        self.assertEqual(claim.state, "invoiced")
        # Invoiced, no later reminder claims them again.
        self.assertFalse(
            self.Claim.search(
                [("partner_id", "=", self.customer_company.id), ("state", "=", "open")]
            )
        )

    def test_paid_late_list_is_brought_up_to_date(self):
        # An invoice paid late before the list existed is found when it is opened;
        # consumers are not listed (no indemnity, interest only after a notice).
        business = self._create_invoice(self.customer_company, "2026-01-31", 1000.0)
        consumer = self._create_invoice(self.customer_individual, "2026-01-31", 1000.0)
        self._pay(business, 1000.0, date(2026, 3, 2))
        self._pay(consumer, 1000.0, date(2026, 3, 2))
        self.Claim.search([]).unlink()
        with self._frozen("2026-04-01"):
            action = self.Claim.with_user(self.accountant).action_open_list()
        self.assertEqual(action["res_model"], "dunning.paid.late")
        claims = self.Claim.search([("move_id", "in", (business | consumer).ids)])
        self.assertEqual(claims.move_id, business)
        # Waived: kept in the list, no longer claimed.
        claims.with_user(self.accountant).action_waive()
        self.assertEqual(claims.state, "waived")
        claims.with_user(self.accountant).action_restore()
        self.assertEqual(claims.state, "open")

    # ------------------------------------------------------------------
    # Contractual rates
    # ------------------------------------------------------------------

    def test_contract_rate_below_the_floor_of_a_half_year(self):
        # 9.00 % entered on 2025-07-05: the floor of 2025 S2 is 3 x 2.76 = 8.28 %, accepted.
        with self._frozen("2025-07-05"):
            self.company.write(
                {"dunning_penalty_rate_mode": "contract", "dunning_contract_rate": 9.0}
            )
        # 1,200.00 due 2025-06-15, reminded 2025-07-20:
        #   06-16 to 06-30, 15 days in 2025 S1, floor 3 x 3.71 = 11.13 % > 9.00 %:
        #     1,200 x 0.1113 x 15 / 365 = 2,003.40 / 365 = 5.488767
        #   07-01 to 07-20, 20 days in 2025 S2, floor 8.28 % < 9.00 %:
        #     1,200 x 0.09 x 20 / 365 = 2,160 / 365 = 5.917808
        #   total 11.406575 -> 11.41 (9.00 % throughout would be 1,200 x 0.09 x 35 / 365
        #   = 10.36)
        invoice = self._create_invoice(self.customer_company, "2025-06-15", 1200.0)
        line = self._line(self._run("2025-07-20"), invoice)
        self.assertEqual(line.penalty_amount, 11.41)
        self.assertEqual(line.penalty_rate, 9.0)
        self.assertEqual(
            line.penalty_note,
            "11.13 % a year (legal floor of 2025 H1: 3 times the legal interest rate, above "
            f"the contractual rate) on 1,200.00{EUR} from 06/16/2025 to 06/30/2025 "
            f"(15 days); 9.00 % a year on 1,200.00{EUR} from 07/01/2025 to 07/20/2025 "
            "(20 days)",
        )

    def test_contract_rate_per_customer_from_its_start_date(self):
        # The customer agreed 10.00 % for its invoices dated from 2026-02-01
        # (floor of 2026 S1: 7.86 %).
        with self._frozen("2026-02-01"):
            self.customer_company.write(
                {"dunning_contract_rate": 10.0, "dunning_contract_rate_date": "2026-02-01"}
            )
        # A, dated 2026-01-10 (before): the legal 12.15 %. Due 2026-02-09, reminded
        #   2026-03-24, 43 days: 1,200 x 0.1215 x 43 / 365 = 6,269.40 / 365 = 17.176438 -> 17.18
        # B, dated 2026-02-05: 10.00 %. Due 2026-03-07, 17 days:
        #   1,200 x 0.10 x 17 / 365 = 2,040 / 365 = 5.589041 -> 5.59
        invoice_a = self._create_invoice(
            self.customer_company, "2026-02-09", 1200.0, invoice_date="2026-01-10"
        )
        invoice_b = self._create_invoice(
            self.customer_company, "2026-03-07", 1200.0, invoice_date="2026-02-05"
        )
        reminder = self._run("2026-03-24")
        self.assertEqual(self._line(reminder, invoice_a).penalty_amount, 17.18)
        self.assertEqual(self._line(reminder, invoice_b).penalty_amount, 5.59)
        self.assertEqual(self._line(reminder, invoice_b).penalty_rate, 10.0)
        # Below the floor known today: refused.
        with self._frozen("2026-03-24"), self.assertRaisesRegex(Exception, "i.e. 7.86 %"):
            self.customer_company.dunning_contract_rate = 7.0

    # ------------------------------------------------------------------
    # Rates over the whole limitation period
    # ------------------------------------------------------------------

    def test_rates_shipped_since_2019(self):
        Rate = self.env["dunning.interest.rate"]
        for rate_type, day, rate in (
            ("legal_other", date(2019, 1, 1), 0.86),
            ("legal_individual", date(2019, 12, 31), 3.26),
            ("ecb", date(2022, 8, 15), 0.0),
            ("legal_other", date(2023, 7, 1), 4.22),
            ("ecb", date(2023, 1, 1), 2.50),
            ("ecb", date(2024, 7, 1), 4.25),
            ("legal_individual", date(2024, 3, 1), 8.01),
        ):
            self.assertEqual(Rate._get_rate(rate_type, day), rate, (rate_type, day))
        self.assertEqual(Rate.search_count([]), 45)

    def test_invoice_late_since_2021_across_five_half_years(self):
        # 1,000.00 due 2021-10-15, reminded 2023-09-30: 715 days late.
        #   2021-10-16 to 2022-12-31: 2021 S2, 2022 S1, 2022 S2, all at 0.00 + 10 = 10.00 %
        #     (ECB 0.00 on 1 July 2022: raised only on 27 July), one piece:
        #     77 + 181 + 184 = 442 days: 1,000 x 0.10 x 442 / 365 = 44,200 / 365 = 121.095890
        #   2023-01-01 to 2023-06-30, 181 days at 12.50 %:
        #     1,000 x 0.125 x 181 / 365 = 22,625 / 365 = 61.986301
        #   2023-07-01 to 2023-09-30, 92 days at 14.00 %:
        #     1,000 x 0.14 x 92 / 365 = 12,880 / 365 = 35.287671
        #   total 218.369862 -> 218.37, and the flat indemnity 40.00
        invoice = self._create_invoice(self.customer_company, "2021-10-15", 1000.0)
        reminder = self._run("2023-09-30")
        line = self._line(reminder, invoice)
        self.assertEqual(line.days_overdue, 715)
        self.assertFalse(line.penalty_error)
        self.assertEqual(line.penalty_amount, 218.37)
        self.assertEqual(line.indemnity_amount, 40.0)
        self.assertEqual(
            line.penalty_note,
            f"10.00 % a year on 1,000.00{EUR} from 10/16/2021 to 12/31/2022 (442 days); "
            f"12.50 % a year on 1,000.00{EUR} from 01/01/2023 to 06/30/2023 (181 days); "
            f"14.00 % a year on 1,000.00{EUR} from 07/01/2023 to 09/30/2023 (92 days)",
        )
        self.assertEqual(reminder.amount_total_claimed, 1258.37)

    # ------------------------------------------------------------------
    # Limitation
    # ------------------------------------------------------------------

    def test_public_buyer_four_year_rule_on_the_prescription_watch(self):
        # Due 2022-06-30: the right arose in 2022; four years from 1 January 2023:
        # lapses on 1 January 2027. The same invoice of a business: 2027-06-30.
        public = self._create_invoice(self.customer_public, "2022-06-30", 800.0)
        business = self._create_invoice(self.customer_company, "2022-06-30", 800.0)
        self.assertEqual(public.dunning_prescription_date, date(2027, 1, 1))
        self.assertEqual(business.dunning_prescription_date, date(2027, 6, 30))
        # The watch list on 2026-12-01 ("within 90 days": up to 2027-03-01).
        watch = self.env.ref("dunning_scenario.account_move_action_dunning_prescription")
        domain = [
            *ast.literal_eval(watch.domain),
            ("dunning_prescription_date", "<=", "2027-03-01"),
            ("company_id", "=", self.company.id),
        ]
        Move = self.env["account.move"].with_user(self.accountant)
        self.assertEqual(Move.search(domain), public)
        # Recomputed when the scenario's debtor type changes...
        self.scenario_public.debtor_type = "business"
        self.assertEqual(public.dunning_prescription_date, date(2027, 6, 30))
        self.scenario_public.debtor_type = "public"
        self.assertEqual(public.dunning_prescription_date, date(2027, 1, 1))
        # ... and when the customer's scenario changes.
        self.customer_public.with_company(self.company).dunning_scenario_id = self.scenario_business
        self.assertEqual(public.dunning_prescription_date, date(2027, 6, 30))
        self.customer_public.with_company(self.company).dunning_scenario_id = False
        self.assertEqual(public.dunning_prescription_date, date(2027, 1, 1))
        self.company.dunning_default_scenario_id = self.scenario_consumer
        self.assertEqual(self.customer_plain.dunning_effective_scenario_id, self.scenario_consumer)
        plain = self._create_invoice(self.customer_plain, "2022-06-30", 100.0)
        self.assertEqual(plain.dunning_prescription_date, date(2024, 6, 30))
        self.company.dunning_default_scenario_id = self.scenario_public
        self.assertEqual(plain.dunning_prescription_date, date(2027, 1, 1))

    # ------------------------------------------------------------------
    # Payments not matched
    # ------------------------------------------------------------------

    def test_unmatched_payment_on_the_single_open_invoice(self):
        # 1,200.00 due 2026-01-31; 500.00 received on 2026-02-20, not matched.
        # The customer has no other open invoice: the payment pays it (Code civil
        # 1342-10). Reminded 2026-03-17:
        #   02-01 to 02-20, 20 days on 1,200.00: 1,200 x 0.1215 x 20 / 365 = 7.989041
        #   02-21 to 03-17, 25 days on   700.00:   700 x 0.1215 x 25 / 365 = 5.825342
        #   total 13.814383 -> 13.81 (ignoring the payment: 17.98)
        invoice = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        self._create_unreconciled_payment(self.customer_company, 500.0, date(2026, 2, 20))
        reminder = self._run("2026-03-17")
        line = self._line(reminder, invoice)
        self.assertEqual(line.penalty_amount, 13.81)
        self.assertEqual(
            line.penalty_note,
            f"12.15 % a year on 1,200.00{EUR} from 02/01/2026 to 02/20/2026 (20 days); "
            f"12.15 % a year on 700.00{EUR} from 02/21/2026 to 03/17/2026 (25 days)",
        )
        self.assertEqual(reminder.amount_net, 700.0)
        # 700.00 + 13.81 + 40.00
        self.assertEqual(reminder.amount_total_claimed, 753.81)
        self.assertFalse(reminder.penalty_unmatched_warning)

    def test_unmatched_payment_received_before_sending(self):
        # Prepared and sent on 2026-03-17 (45 days on 1,200.00: 17.98 when
        # prepared). In between, a payment of 500.00 dated 2026-03-12 is entered,
        # not matched; sending brings the reminder up to date:
        #   02-01 to 03-12, 40 days on 1,200.00: 1,200 x 0.1215 x 40 / 365 = 15.978082
        #   03-13 to 03-17,  5 days on   700.00:   700 x 0.1215 x  5 / 365 =  1.165068
        #   total 17.143150 -> 17.14
        invoice = self._create_invoice(self.customer_company, "2026-01-31", 1200.0)
        reminder = self._run("2026-03-17")
        line = self._line(reminder, invoice)
        self.assertEqual(line.penalty_amount, 17.98)
        self._create_unreconciled_payment(self.customer_company, 500.0, date(2026, 3, 12))
        self._send(reminder, "2026-03-17")
        self.assertEqual(reminder.state, "sent")
        self.assertEqual(reminder.amount_net, 700.0)
        self.assertEqual(line.penalty_amount, 17.14)

    def test_unmatched_payment_with_several_open_invoices(self):
        # Two open invoices: the payment's invoice is not known. Penalties run on
        # the whole amounts (17.98 as without payment) and the reminder says so.
        customer = self._create_customer("Beta Trading", self.category_company)
        invoice = self._create_invoice(customer, "2026-01-31", 1200.0)
        self._create_invoice(customer, "2026-04-30", 300.0)
        self._create_unreconciled_payment(customer, 500.0, date(2026, 2, 20))
        reminder = self._run("2026-03-17")
        self.assertEqual(self._line(reminder, invoice).penalty_amount, 17.98)
        self.assertEqual(
            reminder.penalty_unmatched_warning,
            f"Payments not matched with an invoice (500.00{EUR} received on 02/20/2026): the "
            "penalties assume they are not applied yet. Match them with the invoices they "
            "pay, then refresh the reminder.",
        )
        self.assertIn("will be reduced", reminder.penalty_unmatched_note)

    # ------------------------------------------------------------------
    # Formal notice dates
    # ------------------------------------------------------------------

    def test_formal_notice_dates_set_by_an_accountant(self):
        # A consumer's formal notice posted on paper on 2026-03-10, received on
        # 2026-03-13. Interest runs from the day after the receipt: 03-14 to 04-12,
        # 18 + 12 = 30 days at the legal rate of 2026 S1, 2.62 %:
        #   1,200 x 0.0262 x 30 / 365 = 943.20 / 365 = 2.584110 -> 2.58
        invoice = self._create_invoice(self.customer_individual, "2026-01-31", 1200.0)
        invoice.with_user(self.accountant).write(
            {
                "dunning_formal_notice_date": "2026-03-10",
                "dunning_formal_notice_ack_date": "2026-03-13",
            }
        )
        self.assertEqual(
            self._messages(invoice)[0],
            "Formal notice dates changed by Dunning Accountant: sent - → 2026-03-10, "
            "received - → 2026-03-13.",
        )
        reminder = self._run("2026-04-12")
        line = self._line(reminder, invoice)
        self.assertEqual(line.penalty_amount, 2.58)
        self.assertEqual(
            line.penalty_note,
            f"2.62 % a year on 1,200.00{EUR} from 03/14/2026 to 04/12/2026 (30 days)",
        )
        # Received earlier than sent: refused.
        with self.assertRaisesRegex(Exception, "cannot be received before it was sent"):
            invoice.with_user(self.accountant).dunning_formal_notice_ack_date = "2026-03-01"

        # From the reminder: the wizard sets the dates of its invoices; the draft
        # follows. Received on 2026-03-23: 03-24 to 04-12 = 20 days:
        #   1,200 x 0.0262 x 20 / 365 = 628.80 / 365 = 1.722740 -> 1.72
        wizard = (
            self.env["dunning.formal.notice.date"]
            .with_user(self.accountant)
            .with_context(default_reminder_id=reminder.id)
            .create({"date_sent": "2026-03-20", "date_received": "2026-03-23"})
        )
        self.assertEqual(wizard.move_ids, invoice)
        wizard.action_apply()
        self.assertEqual(invoice.dunning_formal_notice_ack_date, date(2026, 3, 23))
        self.assertEqual(line.penalty_amount, 1.72)
        self.assertIn("sent on 2026-03-20, received on 2026-03-23", self._messages(reminder)[0])

        # A user without accounting rights cannot change them.
        clerk = new_test_user(
            self.env,
            login="dunning_clerk",
            groups="base.group_user,dunning_scenario.group_dunning_user",
            company_id=self.company.id,
        )
        with self.assertRaises(UserError):  # AccessError is a UserError
            invoice.with_user(clerk).dunning_formal_notice_date = "2026-03-01"

    # ------------------------------------------------------------------
    # Customer documents (issue 13, point 6)
    # ------------------------------------------------------------------

    def test_missing_rate_stated_for_a_french_customer(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["dunning_scenario"], ["fr_FR"])
        customer = self._create_customer("Dupont SARL", self.category_company, lang="fr_FR")
        invoice = self._create_invoice(customer, "2026-06-15", 1200.0)
        reminder = self._run("2026-07-20")
        line = self._line(reminder, invoice)
        self.assertTrue(line.penalty_error)
        self.assertEqual(
            line.penalty_note,
            "Des pénalités de retard sont dues à compter du lendemain de l'échéance (Code de "
            "commerce, article L441-10) ; leur montant pour 2026 S2 sera indiqué dès la "
            "publication du taux de référence de ce semestre.",
        )
        self.assertNotIn("ECB", line.penalty_note)
        # The accountant's message stays explicit.
        self.assertIn("2026 H2", line.penalty_error_message)


@tagged("post_install", "-at_install")
class TestPenaltyLetter(LetterCommon):
    def test_french_letter_with_a_missing_rate(self):
        """The rate of 2026 S2 is not published: the French formal notice states
        the legal basis of the penalties, no amount made up, no internal words
        (no "ECB" table, no "Not computed"), and the half-year as "S2"."""
        invoice = self._create_invoice(self.customer_fr, "2026-06-15", 1200.0)
        self._run_and_mark("2026-07-01")  # a formal notice is never first
        reminder = self._run("2026-07-31")
        self.assertEqual(reminder.level_id, self.level_formal_notice)
        line = reminder.line_ids.filtered(lambda line: line.move_id == invoice)
        self.assertTrue(line.penalty_error)
        # The line's basis, in French, for any customer document that prints it.
        self.assertEqual(
            line.penalty_note,
            "Des pénalités de retard sont dues à compter du lendemain de l'échéance (Code de "
            "commerce, article L441-10) ; leur montant pour 2026 S2 sera indiqué dès la "
            "publication du taux de référence de ce semestre.",
        )
        text = self._letter_text(reminder)
        self.assertIn("L441-10", text)
        for internal in ("ECB", "BCE", "Not computed", "Non calculé", "H2", "refinanc"):
            self.assertNotIn(internal, text)
        # The accountant's side says which rate to enter.
        self.assertIn("2026 H2", reminder.penalty_missing_message)

    def test_french_formal_notice_shows_invoices_paid_late_and_unmatched_payments(self):
        """Penalties of an invoice paid late are claimed with a formal notice: the
        letter and the email list that invoice as paid (so that the totals add
        up), and a payment not yet allocated is stated in French."""
        self.company.dunning_claim_paid_late = True
        paid_late = self._create_invoice(self.customer_fr, "2026-01-15", 1000.0)
        self._pay(paid_late, 1000.0, date(2026, 2, 14))
        self._create_invoice(self.customer_fr, "2026-02-01", 2400.0)
        self._create_invoice(self.customer_fr, "2026-04-30", 300.0)
        self._create_unreconciled_payment(self.customer_fr, 100.0, date(2026, 3, 2))
        self._run_and_mark("2026-03-13")  # a formal notice is never first
        reminder = self._run("2026-03-20")
        self.assertEqual(reminder.level_id, self.level_formal_notice)
        claimed = reminder.line_ids.filtered(lambda line: line.kind == "paid_late")
        self.assertEqual(claimed.move_id, paid_late)
        text = self._letter_text(reminder)
        self.assertIn("Factures payées en retard : pénalités restant dues", text)
        # Y: 30 days late at 12.15 %: 1,000 x 0.1215 x 30 / 365 = 9.99, + 40.00
        self.assertRegex(
            text, rf"{paid_late.name} \S+ 15/01/2026 \$ 1 000,00 Payée 30 \$ 9,99 \$ 40,00"
        )
        self.assertIn(
            "Vos règlements suivants sont déduits du montant net dû : $ 100,00 reçu le "
            "02/03/2026.",
            text,
        )
        cheque = f"Par chèque à l'ordre de « {self.company.name} », envoyé à l'adresse"
        self.assertIn(cheque, text)
        template = self.env.ref("dunning_scenario.mail_template_dunning_formal_notice")
        body = template._generate_template(reminder.ids, ["body_html"])[reminder.id]["body_html"]
        body = self._plain(body)
        # One reminder before: "our previous reminder", not "reminders".
        self.assertEqual(reminder.previous_reminder_count, 1)
        self.assertIn("Malgré notre précédent rappel, les factures ci-dessous", body)
        self.assertIn(f"{paid_late.name} (payée en retard)", body)
        # The unmatched payment is a credit of the customer, not a credit note.
        self.assertRegex(body, r"PBNK\S+ \(crédit\)")
        self.assertIn("Crédits à déduire", body)
        self.assertIn("Vos règlements suivants sont déduits du montant net dû", body)
        self.assertIn(cheque, body)
