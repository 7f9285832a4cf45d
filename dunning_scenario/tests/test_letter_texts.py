# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The letter's words are the company's: texts per level and language,
placeholders, the formal notice's mandatory elements, the preview; and the
litigation file handed to a lawyer (checked on the real PDF)."""

import io
import subprocess

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import html2plaintext
from odoo.tools.pdf import PdfReader

from .test_letter import EARLIER_REMINDER, LETTER, LITIGATION, LetterCommon, PdfCommon

FR_BODY = (
    "<p>Nous constatons avec regret que nos factures restent impayées.</p>"
    "<p>Par la présente, nous vous mettons en demeure de régler "
    '<t t-out="object.letter_amount_claimed"/> avant le '
    '<t t-out="object.letter_pay_by_date"/>, faute de quoi notre avocat sera saisi.</p>'
)
FR_SUBJECT = "<p>Mise en demeure avant procédure</p>"
EN_BODY = (
    "<p>We regret to note that our invoices remain unpaid.</p>"
    "<p>We hereby give you formal notice (mise en demeure) to pay "
    '<t t-out="object.letter_amount_claimed"/> before '
    '<t t-out="object.letter_pay_by_date"/>, failing which our lawyer will act.</p>'
)
EN_SUBJECT = "<p>Formal notice before proceedings</p>"


class LetterTextCommon(LetterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Who words the letters: a billing administrator of the company.
        cls.dunning_manager = new_test_user(
            cls.env,
            login="dunning_letter_manager",
            name="Letter Manager",
            groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _write_texts(self, level, lang, **texts):
        level.with_user(self.dunning_manager).with_context(lang=lang).write(
            {f"letter_{part}": text for part, text in texts.items()}
        )

    def _edit_formal_notice(self):
        """The company's own formal notice, English first then French."""
        self._write_texts(self.level_formal_notice, "en_US", subject=EN_SUBJECT, body=EN_BODY)
        self._write_texts(self.level_formal_notice, "fr_FR", subject=FR_SUBJECT, body=FR_BODY)

    @staticmethod
    def _pdf_text(pdf):
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@tagged("post_install", "-at_install")
class TestLetterTexts(LetterTextCommon):
    def test_standard_texts_shipped_in_both_languages(self):
        """Every shipped level has its letter written, in English and French."""
        levels = (
            (
                self.env.ref("dunning_scenario.scenario_business")
                | self.env.ref("dunning_scenario.scenario_consumer")
                | self.env.ref("dunning_scenario.scenario_public")
            )
            .sudo()
            .level_ids
        )
        self.assertEqual(len(levels), 12)
        for level in levels:
            for part in ("subject", "opening", "body", "closing"):
                english = level.with_context(lang="en_US")[f"letter_{part}"]
                french = level.with_context(lang="fr_FR")[f"letter_{part}"]
                self.assertTrue(english, f"{level.display_name}: no English {part}")
                self.assertTrue(french, f"{level.display_name}: no French {part}")
                self.assertNotEqual(english, french, f"{level.display_name}: {part}")
        notice = self.env.ref("dunning_scenario.level_business_formal_notice")
        self.assertIn("mise en demeure", notice.with_context(lang="fr_FR").letter_subject.lower())

    def test_english_customer_gets_english_text(self):
        self._edit_formal_notice()
        self._create_invoice(self.customer_company, "2026-02-01", 2400.00)
        self._run_and_mark(EARLIER_REMINDER)  # a formal notice is never first
        reminder = self._run("2026-03-20")
        self.assertEqual(reminder.level_id, self.level_formal_notice)
        text = self._letter_text(reminder)
        self.assertIn("Subject: Formal notice before proceedings", text)
        self.assertIn("We regret to note that our invoices remain unpaid.", text)
        self.assertNotIn("Nous constatons", text)
        # The fixed blocks are still there: invoices, totals, legal mentions.
        self.assertIn("Amount due $ 2,477.55", text)
        self.assertIn("L441-10", text)
        self.assertIn("injonction de payer", text)

    def test_french_customer_gets_french_text(self):
        self._edit_formal_notice()
        self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        self._run_and_mark(EARLIER_REMINDER)  # a formal notice is never first
        reminder = self._run("2026-03-20")
        text = self._letter_text(reminder)
        self.assertIn("Objet : Mise en demeure avant procédure", text)
        self.assertIn("Nous constatons avec regret que nos factures restent impayées.", text)
        self.assertNotIn("We regret", text)

    def test_placeholders_render_amount_claimed_and_deadline(self):
        """The placeholders print the reminder's amount claimed and pay-by date,
        formatted in the customer's language."""
        self._write_texts(
            self.level_first,
            "en_US",
            body='<p>Please pay <t t-out="object.letter_amount_claimed"/> by '
            '<t t-out="object.letter_pay_by_date"/>, dear '
            '<t t-out="object.letter_customer"/>. <t t-out="object.letter_signatory"/></p>',
        )
        self._create_invoice(self.customer_company, "2026-03-01", 1250.00)
        self._create_credit_note(self.customer_company, 100.00, "2026-03-10")
        reminder = self._run("2026-03-21")
        self.assertEqual(reminder.level_id, self.level_first)
        self.assertEqual(reminder._get_dunning_letter_amount_claimed(), 1150.00)
        text = self._letter_text(reminder)
        self.assertIn(
            "Please pay $ 1,150.00 by March 29, 2026, dear Acme Industries. "
            f"{reminder.user_id.name or self.company.name}",
            text,
        )

    def test_placeholder_places_the_invoices_table(self):
        """A text may place the invoices table; it is then printed there only."""
        self._write_texts(
            self.level_first,
            "en_US",
            body='<p>Here they are:</p><t t-out="object.letter_invoices"/><p>Thank you.</p>',
        )
        invoice = self._create_invoice(self.customer_company, "2026-03-01", 1250.00)
        reminder = self._run("2026-03-21")
        text = self._letter_text(reminder)
        self.assertEqual(text.count("Total left to pay"), 1)
        self.assertLess(text.index("Here they are:"), text.index(invoice.name))
        self.assertLess(text.index(invoice.name), text.index("Thank you."))

    def test_previous_reminders_only_when_there_were_some(self):
        """A formal notice chosen by hand at first contact does not speak of
        reminders that were never sent; after a reminder, it does."""
        self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        reminder = self._run("2026-03-20")
        self.assertEqual(reminder.previous_reminder_count, 0)
        reminder.sudo().level_id = self.level_formal_notice
        text = self._letter_text(reminder)
        self.assertIn("Objet : Mise en demeure de payer", text)
        self.assertNotIn("Malgré", text)
        self.assertIn("Les factures détaillées ci-dessous restent impayées.", text)
        self.assertNotIn("ne pas en tenir compte", text)

    def test_previous_reminders_stated(self):
        self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        self._run_and_mark(EARLIER_REMINDER)
        reminder = self._run("2026-03-20")
        self.assertEqual(reminder.level_id, self.level_formal_notice)
        self.assertEqual(reminder.previous_reminder_count, 1)
        text = self._letter_text(reminder)
        self.assertIn(
            "Malgré notre rappel du 13 mars 2026, les factures détaillées ci-dessous "
            "restent impayées.",
            text,
        )
        self.assertNotIn("ne pas en tenir compte", text)

    def test_formal_notice_without_mise_en_demeure_refused(self):
        with self.assertRaisesRegex(ValidationError, "mise en demeure"):
            self._write_texts(
                self.level_formal_notice,
                "fr_FR",
                subject="<p>Dernier rappel</p>",
                body='<p>Merci de régler <t t-out="object.letter_amount_claimed"/> avant le '
                '<t t-out="object.letter_pay_by_date"/>.</p>',
            )

    def test_formal_notice_without_amount_or_deadline_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self._write_texts(
                self.level_formal_notice,
                "fr_FR",
                body="<p>Par la présente, mise en demeure vous est faite de payer.</p>",
            )
        # Said in the language of the user who saves.
        message = str(caught.exception)
        self.assertIn("le montant réclamé", message)
        self.assertIn("la date limite de paiement", message)
        self.assertNotIn("« mise en demeure »", message)
        # A friendly level has no such requirement.
        self._write_texts(self.level_first, "fr_FR", body="<p>Merci de nous régler.</p>")

    def test_preview_letter(self):
        """ "Preview letter" shows the level's text on a customer's reminder."""
        self._edit_formal_notice()
        self._create_invoice(self.customer_company, "2026-03-01", 1250.00)
        reminder = self._run("2026-03-21")
        self.assertEqual(reminder.level_id, self.level_first)
        action = self.level_formal_notice.with_user(self.accountant).action_preview_letter()
        self.assertEqual(action["report_type"], "qweb-html")
        self.assertEqual(action["data"]["reminder_ids"], reminder.ids)
        html = (
            self.env["ir.actions.report"]
            .with_user(self.accountant)
            ._render_qweb_html(LETTER, None, data=action["data"])[0]
        )
        text = self._plain(html)
        self.assertIn("We regret to note that our invoices remain unpaid.", text)
        self.assertIn("Acme Industries", text)
        # The reminder itself keeps its own letter.
        self.assertIn("This is probably an oversight", self._letter_text(reminder))

    def test_load_standard_letter(self):
        self.assertFalse(self.level_second.letter_body)
        self.level_second.action_load_standard_letter()
        self.assertIn("object.letter_reminder_history", self.level_second.letter_body)
        self.assertIn(
            "Nous vous demandons de les régler",
            self.level_second.with_context(lang="fr_FR").letter_body,
        )

    def test_litigation_file_says_no_internal_note(self):
        """Channel errors are internal: the litigation file does not print them."""
        self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        template = self.env.ref("dunning_scenario.mail_template_dunning_first")
        self.level_first.write(
            {"send_email": True, "mail_template_id": template.id, "create_activity": True}
        )
        first = self._run("2026-02-16")
        self._send(first, "2026-02-16")
        self.assertEqual(first.state, "sent")
        with freeze_time("2026-02-20"):
            html = (
                self.env["ir.actions.report"]
                .with_user(self.accountant)
                ._render_qweb_html(LITIGATION, self.customer_fr.ids)[0]
            )
        text = self._plain(html)
        self.assertIn(first.name, text)
        self.assertNotIn("Nobody", text)
        if first.call_error:
            self.assertNotIn(first.call_error, text)


@tagged("post_install", "-at_install")
class TestLetterTextsPdf(LetterTextCommon, PdfCommon, HttpCase):
    """Real PDFs, made by wkhtmltopdf."""

    def _pdf(self, report, ids):
        with self._wkhtmltopdf_stderr():
            return (
                self.env["ir.actions.report"]
                .with_user(self.accountant)
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(report, ids)[0]
            )

    def test_edited_french_formal_notice_in_pdf(self):
        self._edit_formal_notice()
        invoice = self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        self._run_and_mark(EARLIER_REMINDER)  # a formal notice is never first
        reminder = self._run("2026-03-20")
        self.assertEqual(reminder.level_id, self.level_formal_notice)
        text = self._pdf_text(self._pdf(LETTER, reminder.ids))
        self.assertIn("Mise en demeure avant procédure", text)
        self.assertIn("Nous constatons avec regret que nos factures restent impayées.", text)
        # 2,400.00 + 37.55 interest (47 days at 12.15 %) + 40.00 indemnity
        self.assertIn(
            "nous vous mettons en demeure de régler $ 2 477,55 avant le 28 mars 2026", text
        )
        self.assertIn(invoice.name, text)
        self.assertNotIn("We regret", text)

    def test_litigation_file_of_two_reminders(self):
        """A customer reminded twice by email: the file's first page is the
        summary, then the details and the copy of both emails, then the PDF of
        the invoice; penalties run to the day of printing."""
        first_tpl = self.env.ref("dunning_scenario.mail_template_dunning_first")
        second_tpl = self.env.ref("dunning_scenario.mail_template_dunning_second")
        self.level_first.write({"send_email": True, "mail_template_id": first_tpl.id})
        sms_tpl = self.env.ref("dunning_scenario.sms_template_dunning_second")
        self.level_second.write(
            {
                "send_email": True,
                "mail_template_id": second_tpl.id,
                "send_sms": True,
                "sms_template_id": sms_tpl.id,
            }
        )
        self.customer_fr.mobile = "+33 6 12 34 56 78"
        invoice = self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        first = self._run("2026-02-16")
        self._send(first, "2026-02-16")
        second = self._run("2026-03-03")
        self.assertEqual(second.level_id, self.level_second)
        self._send(second, "2026-03-03")
        # Both emails and the SMS wait in Odoo's queues: not sent out yet.
        self.assertEqual((first | second).mapped("email_status"), ["queued", "queued"])
        self.assertEqual(second.sms_status, "queued")
        sms = self.env["mail.message"].search(
            [
                ("model", "=", "dunning.reminder"),
                ("res_id", "=", second.id),
                ("message_type", "=", "sms"),
            ]
        )
        self.assertEqual(len(sms), 1)
        emails = self.env["mail.message"].search(
            [("model", "=", "dunning.reminder"), ("res_id", "in", (first | second).ids)]
        )
        subjects = [m.subject for m in emails if m.subject]
        self.assertEqual(len(subjects), 2)

        with self._frozen("2026-03-10"):
            pdf = self._pdf(LITIGATION, self.customer_fr.ids)
            invoice_pdf = self._pdf("account.account_invoices", invoice.ids)
        reader = PdfReader(io.BytesIO(pdf))
        invoice_reader = PdfReader(io.BytesIO(invoice_pdf))
        invoice_pages = len(invoice_reader.pages)
        pages = [" ".join(page.extract_text().split()) for page in reader.pages]
        # Summary alone on page 1, then the details and the copies of the emails.
        self.assertIn("Litigation file", pages[0])
        self.assertIn("Contents of this file", pages[0])
        self.assertIn("SIREN/SIRET): 987 654 321 00019", pages[0])
        self.assertNotIn("Invoices claimed Invoice", pages[0])
        self.assertIn("Invoices claimed", pages[1])
        # No letter was sent: after the summary, the details and the copies of
        # the emails, the file ends with the PDF of the invoice as Odoo prints it.
        self.assertGreaterEqual(len(pages), 2 + invoice_pages)
        self.assertIn(second.name, pages[-invoice_pages - 1])
        tail = reader.pages[-invoice_pages:]
        for page, invoice_page in zip(tail, invoice_reader.pages, strict=True):
            self.assertEqual(page.get_contents().get_data(), invoice_page.get_contents().get_data())

        text = self._pdf_text(pdf)
        # Penalties to the day of printing: 2 Feb - 10 Mar 2026, 37 days.
        # 2,400.00 x 12.15 % x 37 / 365 = 29.56
        self.assertIn("from 02/02/2026 to 03/10/2026 (37 days)", text)
        self.assertIn("Late-payment penalties to date $ 29.56", text)
        self.assertIn("Total claimed $ 2,469.56", text)
        # Both reminders and a copy of both emails, as sent (in French).
        for reminder in (first, second):
            self.assertIn(reminder.name, text)
        self.assertIn("Copies of the emails and SMS sent", text)
        for subject in subjects:
            self.assertIn(" ".join(subject.split()), text)
        self.assertIn("boulangerie.martin@example.com", text)
        # ... and the SMS, with the number it was sent to.
        self.assertIn(" ".join(html2plaintext(sms.body).split())[:40], text)
        self.assertIn("+33612345678", text)
