# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The reminder letter and the litigation file: what the customer (or the
lawyer) reads, checked on the rendered text, plus one real PDF made by
wkhtmltopdf."""

import logging
import re
import subprocess
from contextlib import contextmanager

import lxml.html
from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import DunningCommon

LETTER = "dunning_scenario.dunning_letter_report"
LITIGATION = "dunning_scenario.dunning_litigation_report"
REPORT_LOGGER = "odoo.addons.base.models.ir_actions_report"


class LetterCommon(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        # The addon's French, as a French database has it (i18n/fr.po).
        cls.env["ir.module.module"]._load_module_terms(["dunning_scenario"], ["fr_FR"])
        cls.company.write(
            {
                "street": "12 rue de la Paix",
                "zip": "75002",
                "city": "Paris",
                "company_registry": "123 456 789 00012",
                "vat": "FR44123456789",
            }
        )
        cls.env["res.partner.bank"].create(
            {
                "acc_number": "FR7630006000011234567890189",
                "partner_id": cls.company.partner_id.id,
            }
        )
        cls.customer_company.write(
            {
                "lang": "en_US",
                "street": "5 Market Street",
                "zip": "EC1A 1BB",
                "city": "London",
                "country_id": cls.env.ref("base.uk").id,
            }
        )
        cls.customer_fr = cls._create_customer(
            "Boulangerie Martin",
            cls.category_company,
            lang="fr_FR",
            street="8 avenue des Tilleuls",
            zip="69003",
            city="Lyon",
            country_id=cls.env.ref("base.fr").id,
            company_registry="987 654 321 00019",
        )
        cls.customer_fr_accounting = cls.env["res.partner"].create(
            {
                "name": "Sophie Martin",
                "parent_id": cls.customer_fr.id,
                "type": "invoice",
                "street": "8 avenue des Tilleuls",
                "street2": "Service comptabilité",
                "zip": "69003",
                "city": "Lyon",
                "country_id": cls.env.ref("base.fr").id,
            }
        )

    @staticmethod
    def _letter_filename(reminder):
        number = reminder.name.replace("/", "-")
        return f"{number} - Boulangerie Martin - Formal notice.pdf"

    def _letter_text(self, reminders):
        html = (
            self.env["ir.actions.report"]
            .with_user(self.accountant)
            ._render_qweb_html(LETTER, reminders.ids)[0]
        )
        return self._plain(html)

    @staticmethod
    def _plain(html):
        """The text a reader sees, on one line: no-break spaces made plain, the
        invisible no-break space of negative amounts dropped."""
        text = lxml.html.fromstring(html).text_content()
        text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\ufeff", "")
        return re.sub(r"\s+", " ", text)


# A week before the formal notice run of 2026-03-20: the invoices get a friendly
# reminder first (a formal notice is never the first contact).
EARLIER_REMINDER = "2026-03-13"


@tagged("post_install", "-at_install")
class TestLetter(LetterCommon):
    def test_first_reminder_letter(self):
        """An English customer at its first reminder: address, invoices with
        what is left to pay, totals, pay-by date, payment options."""
        late = self._create_invoice(self.customer_company, "2026-03-01", 1250.00)
        recent = self._create_invoice(self.customer_company, "2026-03-14", 480.50)
        credit = self._create_credit_note(self.customer_company, 100.00, "2026-03-10")
        reminder = self._run("2026-03-21")
        self.assertEqual(reminder.level_id, self.level_first)
        self.assertEqual(self._level_lines(reminder), {late: self.level_first})

        text = self._letter_text(reminder)
        # Address for the envelope window, place and date.
        for expected in ("Acme Industries", "5 Market Street", "London", "EC1A 1BB"):
            self.assertIn(expected, text)
        self.assertIn("Paris, March 21, 2026", text)
        # Subject and the courteous tone of a first reminder.
        self.assertIn("Subject: Payment reminder", text)
        self.assertIn("This is probably an oversight", text)
        self.assertNotIn("mise en demeure", text)
        # The reminded invoice, the other unpaid one and the credit.
        self.assertRegex(text, rf"{late.name} 01/30/2026 03/01/2026 \$ 1,250.00 \$ 1,250.00 20")
        self.assertRegex(text, rf"{recent.name} 02/12/2026 03/14/2026 \$ 480.50 \$ 480.50 7")
        self.assertIn(f"{credit.name} 03/10/2026 $ -100.00 $ -100.00", text)
        self.assertIn("Total left to pay $ 1,730.50", text)
        self.assertIn("Credits in your favour $ -100.00", text)
        self.assertIn("Amount due $ 1,630.50", text)
        # Pay within the company's deadline (8 days), how to pay, the usual courtesy.
        self.assertIn("settle them by March 29, 2026", text)
        self.assertIn("IBAN FR7630006000011234567890189", text)
        # No online payment provider in this database: no "pay online" promise.
        self.assertNotIn("/my/invoices/", text)
        self.assertNotIn("Online", text)
        self.assertIn(f"By cheque payable to {self.company.name}, sent to the address", text)
        self.assertIn("If your payment has crossed this letter, please disregard it.", text)
        self.assertNotIn("Late-payment penalties", text)

    def test_second_reminder_subject(self):
        self._create_invoice(self.customer_company, "2026-03-01", 900.00)
        first = self._run("2026-03-17")
        with freeze_time("2026-03-17"):
            self._as_accountant(first).action_mark_reminded()
        second = self._run("2026-04-01")
        self.assertEqual(second.level_id, self.level_second)
        text = self._letter_text(second)
        self.assertIn("Subject: Second payment reminder", text)
        self.assertIn("Despite our reminder of March 17, 2026", text)
        self.assertIn("settle them by April 9, 2026 at the latest", text)

    def test_formal_notice_french_customer(self):
        """A French business customer at the formal notice: the words "mise en
        demeure", both parties identified, penalties and indemnity with their
        basis, the deadline and what follows, in French dates and amounts."""
        first = self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        second = self._create_invoice(self.customer_fr, "2026-02-03", 1175.40)
        self._run_and_mark(EARLIER_REMINDER)  # a formal notice is never first
        reminder = self._run("2026-03-20")
        self.assertEqual(reminder.level_id, self.level_formal_notice)
        text = self._letter_text(reminder)

        self.assertIn("mise en demeure", text.lower())
        self.assertIn("lettre recommandée avec accusé de réception", text.lower())
        # The letter goes to the invoice-address contact, dated in French.
        self.assertIn("Sophie Martin", text)
        self.assertIn("Service comptabilité", text)
        self.assertIn("Paris, 20 mars 2026", text)
        # Creditor and debtor identification, in French (i18n/fr.po).
        self.assertIn("Objet : Mise en demeure de payer", text)
        self.assertIn("N° SIREN/SIRET : 123 456 789 00012", text)
        self.assertIn("N° de TVA : FR44123456789", text)
        self.assertIn("N° SIREN/SIRET : 987 654 321 00019", text)
        # Each invoice with its penalties at 12.15 % (ECB 2.15 % + 10 points, 2026 H1)
        # and the flat indemnity:
        #   2,400.00 x 12.15 % x 47 days (2 Feb - 20 Mar) / 365 = 37.548 -> 37.55
        #   1,175.40 x 12.15 % x 45 days (4 Feb - 20 Mar) / 365 = 17.607 -> 17.61
        self.assertIn(
            f"{first.name} 02/01/2026 01/02/2026 $ 2 400,00 $ 2 400,00 47 $ 37,55 $ 40,00",
            text,
        )
        self.assertIn(
            f"{second.name} 04/01/2026 03/02/2026 $ 1 175,40 $ 1 175,40 45 $ 17,61 $ 40,00",
            text,
        )
        self.assertIn(
            f"{first.name}: 12,15 % l'an sur $ 2 400,00 du 02/02/2026 au 20/03/2026 (47 jours)",
            text,
        )
        self.assertIn("L441-10", text)
        # 3,575.40 + 55.16 + 80.00
        self.assertIn("Total restant dû $ 3 575,40", text)
        self.assertIn("Pénalités de retard $ 55,16", text)
        self.assertIn("Indemnité forfaitaire pour frais de recouvrement $ 80,00", text)
        self.assertIn("Montant dû $ 3 710,56", text)
        self.assertIn("de nous régler la somme de $ 3 710,56 d'ici le 28 mars 2026", text)
        # Deadline (8 days), what follows, and the small-claims procedure up to 5,000.
        self.assertIn("injonction de payer", text)
        self.assertIn("procédure simplifiée de recouvrement des petites créances", text)
        # The payee's name between French quotation marks, held to it by
        # no-break spaces.
        html = self.env["ir.actions.report"]._render_qweb_html(LETTER, reminder.ids)[0]
        self.assertIn(
            f"Par chèque à l'ordre de <span>«\u00a0{self.company.name}\u00a0»</span>, envoyé",
            html.decode(),
        )

    def test_formal_notice_large_claim_no_small_claims_procedure(self):
        self._create_invoice(self.customer_fr, "2026-02-01", 6000.00)
        self._run_and_mark(EARLIER_REMINDER)  # a formal notice is never first
        reminder = self._run("2026-03-20")
        self.assertEqual(reminder.level_id, self.level_formal_notice)
        text = self._letter_text(reminder)
        self.assertIn("injonction de payer", text)
        self.assertNotIn("petites créances", text)

    def test_consumer_formal_notice_legal_interest(self):
        self.customer_individual.write({"lang": "fr_FR", "city": "Nantes", "zip": "44000"})
        invoice = self._create_invoice(self.customer_individual, "2026-02-01", 300.00)
        # A friendly reminder first, the scenario's 10 days before the notice.
        self._run_and_mark("2026-03-10")
        reminder = self._run("2026-03-20")
        self.assertEqual(reminder.level_id.scenario_id, self.scenario_consumer)
        self.assertTrue(reminder.level_id.is_formal_notice)
        text = self._letter_text(reminder)
        self.assertIn(invoice.name, text)
        self.assertIn("1231-6", text)
        self.assertNotIn("L441-10", text)
        self.assertNotIn("Flat indemnity for recovery costs", text)

    def test_print_several_reminders_gives_one_document(self):
        self._create_invoice(self.customer_company, "2026-03-01", 1250.00)
        self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        self._run_and_mark(EARLIER_REMINDER)  # a formal notice is never first
        reminders = self._run("2026-03-20")
        self.assertEqual(len(reminders), 2)
        report = self.env.ref(LETTER)
        self.assertEqual(report.binding_model_id.model, "dunning.reminder")
        self.assertEqual(report.report_type, "qweb-pdf")
        text = self._letter_text(reminders)
        self.assertIn("Subject: Payment reminder", text)
        self.assertIn("mise en demeure", text.lower())
        self.assertIn("Acme Industries", text)
        self.assertIn("Boulangerie Martin", text)

    def test_litigation_file(self):
        """The litigation file lists the invoices in litigation, every reminder
        sent for them with its channels, and the stored letters."""
        invoice = self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        first = self._run("2026-02-20")
        with freeze_time("2026-02-20"):
            self._as_accountant(first).action_mark_reminded()
        notice = self._run("2026-03-20")
        self.assertEqual(notice.level_id, self.level_formal_notice)
        self.level_formal_notice.send_letter = True
        with freeze_time("2026-03-20"):
            self._as_accountant(notice).action_send()
        self.assertEqual(notice.state, "sent")
        proof = self.env["ir.attachment"].search(
            [("res_model", "=", "dunning.reminder"), ("res_id", "=", notice.id)]
        )
        self.assertEqual(len(proof), 1)
        litigation = self._run("2026-04-05")
        self.assertEqual(litigation.level_id, self.level_litigation)
        with freeze_time("2026-04-05"):
            self._as_accountant(litigation).action_mark_reminded()
        self.assertEqual(invoice.dunning_state, "litigation")

        with freeze_time("2026-04-06"):
            html = (
                self.env["ir.actions.report"]
                .with_user(self.accountant)
                ._render_qweb_html(LITIGATION, self.customer_fr.ids)[0]
            )
        text = self._plain(html)
        self.assertIn("Litigation file", text)
        self.assertIn("Boulangerie Martin", text)
        self.assertIn(invoice.name, text)
        self.assertIn("In litigation", text)
        for reminder in (first, notice, litigation):
            self.assertIn(reminder.name, text)
        self.assertIn("Reminded outside Odoo", text)
        # The file says the letter was posted only once it was.
        if notice.letter_status == "done":
            self.assertIn("Letter posted", text)
        else:
            self.assertIn("Letter prepared, not posted", text)
            self.assertNotIn("Letter posted", text)
        self.assertIn(proof.name, text)
        self.assertIn("Company registry (SIREN/SIRET): 987 654 321 00019", text)

    def test_attach_letter(self):
        self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        self._run_and_mark(EARLIER_REMINDER)  # a formal notice is never first
        reminder = self._run("2026-03-20")
        attachment = self._as_accountant(reminder)._dunning_attach_letter()
        self.assertEqual(attachment.res_model, "dunning.reminder")
        self.assertEqual(attachment.res_id, reminder.id)
        self.assertEqual(attachment.mimetype, "application/pdf")
        self.assertEqual(attachment.name, self._letter_filename(reminder))


class PdfCommon:
    """Helpers of the tests making real PDFs with wkhtmltopdf."""

    @contextmanager
    def _wkhtmltopdf_stderr(self):
        """Debian's wkhtmltopdf is built on an unpatched Qt: it ignores the
        header/footer switches and says so on stderr, which Odoo logs as a
        warning. Drop only those known lines; anything else it says is
        still logged, and fails the run."""
        harmless = re.compile(
            r"The switch --[\w-]+, is not support using unpatched qt,"
            r" and will be ignored\."
            r"|QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to '[^']*'"
        )

        def keep(record):
            message = record.getMessage()
            if not message.startswith("wkhtmltopdf: "):
                return True
            rest = harmless.sub("", message[len("wkhtmltopdf: ") :])
            return bool(rest.strip())

        logger = logging.getLogger(REPORT_LOGGER)
        logger.addFilter(keep)
        try:
            yield
        finally:
            logger.removeFilter(keep)


@tagged("post_install", "-at_install")
class TestLetterPdf(LetterCommon, PdfCommon, HttpCase):
    """A real PDF, made by wkhtmltopdf, which loads the report styles from the
    test server (hence an HttpCase)."""

    def test_letter_pdf(self):
        invoice = self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        self._run_and_mark(EARLIER_REMINDER)  # a formal notice is never first
        reminder = self._run("2026-03-20")
        reminder = self._as_accountant(reminder).with_context(force_report_rendering=True)
        with self._wkhtmltopdf_stderr():
            pdf, report_type = (
                self.env["ir.actions.report"]
                .with_user(self.accountant)
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(LETTER, reminder.ids)
            )
            attachment = reminder._dunning_attach_letter()
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout.decode()
        self.assertIn(invoice.name, text)
        self.assertIn("Boulangerie Martin", text)
        self.assertIn("mise en demeure", text.lower())

        self.assertTrue(attachment.raw.startswith(b"%PDF"))
        self.assertEqual(attachment.res_model, "dunning.reminder")
        self.assertEqual(attachment.res_id, reminder.id)
        self.assertEqual(attachment.name, self._letter_filename(reminder))

    def test_print_letters_of_several_reminders_in_one_pdf(self):
        """ "Print letters" on two reminders gives one PDF holding both letters,
        whatever the wkhtmltopdf build (each letter is rendered on its own)."""
        first = self._create_invoice(self.customer_company, "2026-03-01", 1250.00)
        second = self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        reminders = self._as_accountant(self._run("2026-03-20"))
        self.assertEqual(len(reminders), 2)
        with self._wkhtmltopdf_stderr():
            pdf, report_type = (
                self.env["ir.actions.report"]
                .with_user(self.accountant)
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(LETTER, reminders.ids)
            )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        self.assertIn(first.name, text)
        self.assertIn(second.name, text)
        self.assertIn("Acme Industries", text)
        self.assertIn("Boulangerie Martin", text)

    def test_litigation_file_pdf_carries_the_stored_letters(self):
        """The litigation file's PDF is its summary followed by the letters stored
        when the reminders were sent."""
        invoice = self._create_invoice(self.customer_fr, "2026-02-01", 2400.00)
        self.level_formal_notice.send_letter = True
        self._run_and_mark(EARLIER_REMINDER)  # a formal notice is never first
        notice = self._as_accountant(self._run("2026-03-20"))
        self.assertEqual(notice.level_id, self.level_formal_notice)
        with freeze_time("2026-03-20"), self._wkhtmltopdf_stderr():
            notice.with_context(force_report_rendering=True).action_send()
        proof = self.env["ir.attachment"].search(
            [("res_model", "=", "dunning.reminder"), ("res_id", "=", notice.id)]
        )
        self.assertEqual(len(proof), 1)
        self.assertTrue(proof.raw.startswith(b"%PDF"))
        with freeze_time("2026-03-21"), self._wkhtmltopdf_stderr():
            pdf, __ = (
                self.env["ir.actions.report"]
                .with_user(self.accountant)
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(LITIGATION, self.customer_fr.ids)
            )
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        self.assertIn("Litigation file", text)
        self.assertIn(proof.name, text)  # listed in the summary
        # ... and the letter itself follows: only the letter has this line.
        # (the customer is French: the stored letter is the French one)
        self.assertIn("Lettre recommandée avec accusé de réception", " ".join(text.split()))
        self.assertGreaterEqual(text.count(invoice.name), 2)
