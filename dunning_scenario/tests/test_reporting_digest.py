# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Daily digest of the responsibles, and the customer statement of account."""

from datetime import date

from odoo.tests import tagged
from odoo.tools import html2plaintext

from .common import DunningCommon

MONDAY = "2026-03-16"


@tagged("post_install", "-at_install")
class TestDailyDigest(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.acme = cls.customer_company
        cls.acme.dunning_responsible_id = cls.accountant
        inv = cls._create_invoice
        cls.late = inv(cls.acme, "2026-02-27", 1000.0)  # J+15 on 14 March
        cls.promised = inv(cls.acme, "2026-01-10", 700.0)
        cls.disputed = inv(cls.acme, "2026-01-12", 400.0)
        cls.lost = inv(cls.acme, "2025-11-01", 900.0)
        cls.promised._dunning_pause("promise", until=date(2026, 3, 17))
        cls.disputed._dunning_pause("dispute", until=date(2026, 3, 20))  # not yet
        cls.lost._dunning_write(
            {"dunning_level_id": cls.level_litigation.id, "dunning_last_date": date(2026, 3, 13)}
        )
        cls.reminders = cls._run(cls, MONDAY)

    def _digest(self, day):
        with self._frozen(day):
            return self.env["dunning.digest"]._dunning_send_digests(self.company, self._d(day))

    def test_activity_for_the_responsible(self):
        self.assertEqual(self.company.dunning_digest_mode, "activity")
        self.assertEqual(self.reminders.user_id, self.accountant)
        sent = self._digest(MONDAY)
        self.assertEqual(list(sent), [self.accountant])
        activity = sent[self.accountant]
        self.assertEqual(activity.user_id, self.accountant)
        self.assertEqual(activity.summary, "Payment reminders of 2026-03-16")
        text = " ".join(html2plaintext(activity.note).split())
        self.assertIn(f"1 reminder(s) to send: {self.reminders.display_name}", text)
        self.assertIn(f"1 promise(s) to pay due: {self.promised.name} (Acme Industries)", text)
        self.assertIn(f"1 invoice(s) newly in litigation: {self.lost.name}", text)
        self.assertNotIn(self.disputed.name, text, "its pause ends after the next working day")

    def test_internal_email(self):
        self.company.dunning_digest_mode = "email"
        sent = self._digest(MONDAY)
        mail = sent[self.accountant]
        self.assertEqual(mail._name, "mail.mail")
        self.assertEqual(mail.email_to, self.accountant.email_formatted)
        self.assertIn("reminder(s) to send", html2plaintext(mail.body_html))

    def test_nothing_on_weekends_nor_when_nothing(self):
        with self._frozen("2026-03-14"):  # a Saturday
            self.env["dunning.digest"].with_context(dunning_today=self._d("2026-03-14"))
            activities = self.env["mail.activity"].search_count([])
            self.env["dunning.digest"]._cron_send_digest()
            self.assertEqual(self.env["mail.activity"].search_count([]), activities)
        self.acme.dunning_responsible_id = False
        self.reminders.user_id = False
        self.assertEqual(self._digest(MONDAY), {})


@tagged("post_install", "-at_install")
class TestStatement(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.acme = cls.customer_company
        inv = cls._create_invoice
        cls.first = inv(cls.acme, "2026-02-01", 1000.0, invoice_date="2026-01-02")
        cls.second = inv(cls.acme, "2026-04-01", 500.0, invoice_date="2026-03-02")
        cls._pay(cls.first, 400.0, "2026-02-10")
        cls.credit = cls._create_credit_note(cls.acme, 150.0, "2026-03-05")
        cls.payment = cls._create_unreconciled_payment(cls.acme, 200.0, "2026-03-10")
        paid = inv(cls.acme, "2026-01-15", 300.0, invoice_date="2025-12-15")
        cls._pay(paid, 300.0, "2026-01-20")
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["dunning_scenario"], ["fr_FR"])

    def test_open_items_with_balance(self):
        with self._frozen("2026-03-15"):
            (section,) = self.acme.with_user(self.accountant)._get_dunning_statement(self.company)
        rows = [
            (line["name"], line["residual"], line["balance"], line["days_overdue"])
            for line in section["lines"]
        ]
        self.assertEqual(
            rows,
            [
                (self.first.name, 600.0, 600.0, 42),
                (self.second.name, 500.0, 1100.0, 0),
                (self.credit.name, -150.0, 950.0, 0),
                (self.payment.move_id.name, -200.0, 750.0, 0),
            ],
        )
        self.assertEqual(section["total"], 750.0)
        self.assertEqual(section["overdue"], 600.0)

    def test_pdf_in_the_customer_language(self):
        self.acme.lang = "fr_FR"
        report = self.env.ref("dunning_scenario.dunning_statement_report")
        with self._frozen("2026-03-15"):
            html = report.with_user(self.accountant)._render_qweb_html(report, self.acme.ids)[0]
        text = " ".join(html2plaintext(html.decode()).split())
        self.assertIn("Relevé de compte", text)
        self.assertIn(self.first.name, text)
        self.assertIn("42 jours de retard", text)
        self.assertIn("Solde dû", text)
        self.assertIn("750", text)

    def test_send_by_email(self):
        self.acme.lang = "fr_FR"
        with self._frozen("2026-03-15"):
            self.acme.with_user(self.accountant).with_context(
                force_report_rendering=True
            ).action_dunning_send_statement()
        message = self.acme.message_ids[0]
        self.assertEqual(message.author_id, self.accountant.partner_id)
        # The company has no address of its own here: the accountant's.
        self.assertEqual(message.email_from, self.accountant.email_formatted)
        self.assertIn("relevé de compte", message.subject)
        self.assertEqual(message.attachment_ids.mapped("mimetype"), ["application/pdf"])
        self.assertEqual(message.attachment_ids.name, "Relevé de compte - Acme Industries.pdf")
        self.assertIn(self.acme, message.partner_ids)
