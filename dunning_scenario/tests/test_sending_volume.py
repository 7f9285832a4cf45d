# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Sending at volume (issue #12): the automatic sending goes by chunks of
reminders, the emails of a chunk rendered together and the letters printed
with as few wkhtmltopdf runs as the installed build allows, and each customer
still gets exactly its own email, in its language, as if sent alone.

Six customers (three English, three French) each owe one invoice, due on
2026-03-01, of 100.00 to 600.00; the first reminder (J+15) is prepared on
2026-03-16.
"""

import io
from collections import defaultdict
from unittest.mock import patch

from odoo import sql_db
from odoo.tests import tagged
from odoo.tools import format_amount, html2plaintext
from odoo.tools import mail as mail_tools

from .common import DunningCommon

DUE = "2026-03-01"
RUN = "2026-03-16"
# Queries a reminder may add to a chunk (the email posted with its
# notification and mail, the chatter notes, the reminder's own updates).
QUERIES_PER_REMINDER = 16


@tagged("post_install", "-at_install")
class TestSendingVolume(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.company.email = "billing@company-one.example.com"
        cls.template = cls.env.ref("dunning_scenario.mail_template_dunning_first")
        cls.template.with_context(
            lang="fr_FR"
        ).subject = "{{ object.company_id.name }} : rappel de paiement ({{ object.name }})"
        cls.level_first.write({"send_email": True, "mail_template_id": cls.template.id})
        cls.customers = cls.env["res.partner"]
        cls.invoices = cls.env["account.move"]
        for index in range(6):
            customer = cls._create_customer(
                f"Volume Customer {index}",
                cls.category_company,
                lang="fr_FR" if index % 2 else "en_US",
                street=f"{index + 1} rue du Port",
                zip="69003",
                city="Lyon",
                country_id=cls.env.ref("base.fr").id,
            )
            cls.customers |= customer
            cls.invoices |= cls._create_invoice(customer, DUE, 100.0 * (index + 1))

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _prepare(self):
        """The reminders of the six customers, prepared by the run, not sent."""
        reminders = self._run(RUN)
        self.assertEqual(reminders.partner_id, self.customers)
        self.assertEqual(set(reminders.mapped("state")), {"draft"})
        return reminders

    def _send_chunk(self, reminders):
        """Send ``reminders`` as one chunk of the automatic sending.

        :return: number of queries
        """
        progress = {"sent": defaultdict(int)}
        Reminder = self.env["dunning.reminder"].with_user(self.accountant)
        with self._frozen(RUN):
            before = sql_db.sql_counter
            Reminder._dunning_send_chunk(self._as_accountant(reminders), progress)
            self.env.flush_all()
            queries = sql_db.sql_counter - before
        self.assertEqual(sum(progress["sent"].values()), len(reminders))
        return queries

    def _mails_to(self, partner):
        return self.env["mail.mail"].sudo().search([("recipient_ids", "in", partner.ids)])

    def _amount(self, amount, lang):
        return format_amount(self.env(context={"lang": lang}), amount, self.company.currency_id)

    @staticmethod
    def _email_content(message):
        """What the customer reads and who it comes from, apart from the
        message's own identifiers."""
        mail = message.sudo().notification_ids.mail_mail_id
        return {
            "subject": message.subject,
            "body": message.body,
            "email_from": message.email_from,
            "author": message.author_id,
            "partners": message.partner_ids,
            "message_type": message.message_type,
            "subtype": message.subtype_id,
            "layout": message.email_layout_xmlid,
            "record_name": message.record_name,
            "reply_to": message.reply_to,
            "mail_body": mail.body_html,
            "mail_recipients": mail.recipient_ids,
            "mail_auto_delete": mail.auto_delete,
            "attachments": message.attachment_ids,
        }

    # ------------------------------------------------------------------
    # Emails
    # ------------------------------------------------------------------

    def test_automatic_run_sends_one_email_per_reminder(self):
        """The daily run sends the six reminders of an automatic scenario: six
        emails, each to its customer, with its amount, in its language; one
        note on each customer and each invoice."""
        self.scenario_business.auto_send = True
        notes_before = {
            record: len(self._messages(record)) for record in [*self.customers, *self.invoices]
        }
        reminders = self._run(RUN)
        self.assertEqual(reminders.partner_id, self.customers)
        self.assertEqual(set(reminders.mapped("state")), {"sent"})
        self.assertEqual(set(reminders.mapped("email_status")), {"queued"})
        mails = self.env["mail.mail"].sudo().search([("model", "=", "dunning.reminder")])
        self.assertEqual(len(mails), 6)
        for index, (customer, invoice) in enumerate(
            zip(self.customers, self.invoices, strict=True)
        ):
            reminder = reminders.filtered(lambda r, customer=customer: r.partner_id == customer)
            mail = self._mails_to(customer)
            self.assertEqual(len(mail), 1, customer.name)
            self.assertEqual(mail.res_id, reminder.id)
            self.assertEqual(reminder.email_message_id, mail.mail_message_id)
            body = html2plaintext(mail.body_html)
            self.assertIn(invoice.name, body)
            self.assertIn(self._amount(100.0 * (index + 1), customer.lang), body)
            if customer.lang == "fr_FR":
                self.assertEqual(
                    mail.subject, f"{self.company.name} : rappel de paiement ({reminder.name})"
                )
                self.assertIn("01/03/2026", body)
            else:
                self.assertEqual(
                    mail.subject, f"{self.company.name}: payment reminder ({reminder.name})"
                )
                self.assertIn("03/01/2026", body)
            for record in (customer, invoice):
                messages = self._messages(record)
                self.assertEqual(len(messages), notes_before[record] + 1, record.display_name)
                self.assertIn(f"Reminder {reminder.name} (First reminder): email to", messages[0])
                self.assertIn("(queued)", messages[0])
            self.assertIn(invoice.name, self._messages(customer)[0])

    def test_chunk_gives_the_same_email_as_one_reminder_alone(self):
        """Each email of a chunk is the one Odoo's mail composer makes when the
        template is sent on that reminder alone (what the sending did before
        chunks): same subject, body, sender, author, recipient, layout, mail."""
        reminders = self._prepare()
        expected = {}
        for reminder in reminders:
            message = self._as_accountant(reminder).message_post_with_source(
                self.template,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                attachment_ids=[],
                force_send=False,
            )
            expected[reminder] = self._email_content(message)
            message.sudo().notification_ids.mail_mail_id.unlink()
            message.sudo().unlink()
        self._send_chunk(reminders)
        for reminder in reminders:
            self.assertEqual(reminder.state, "sent")
            self.assertEqual(
                self._email_content(reminder.email_message_id),
                expected[reminder],
                reminder.partner_id.name,
            )

    def test_email_template_compiled_once_per_language(self):
        """The QWeb body of the template is compiled once per language for the
        whole chunk, not once per reminder: six reminders in two languages
        compile no more than two reminders, one in each language."""
        reminders = self._as_accountant(self._prepare())
        IrQweb = type(self.env["ir.qweb"])
        generate_code = IrQweb._generate_code

        def compilations(records):
            compiled = []

            def count(qweb, template):
                if not isinstance(template, str | int):  # a raw body, not a view
                    compiled.append(template)
                return generate_code(qweb, template)

            with patch.object(IrQweb, "_generate_code", count):
                rendered = records._dunning_render_emails()
            self.assertEqual(set(rendered), set(records.ids))
            return len(compiled)

        english = reminders.filtered(lambda r: r.partner_id.lang == "en_US")
        french = reminders - english
        self.assertEqual(compilations(reminders), compilations(english[:1] | french[:1]))
        self.assertLess(compilations(reminders), len(reminders))

    def test_queries_per_reminder_bounded(self):
        """Each reminder adds a bounded number of queries to its chunk: a chunk
        of four costs at most that much per reminder more than a chunk of one
        (after a first chunk has loaded what is cached)."""
        reminders = self._prepare()
        self._send_chunk(reminders[0])
        one = self._send_chunk(reminders[1])
        four = self._send_chunk(reminders[2:])
        self.assertLessEqual((four - one) / 3, QUERIES_PER_REMINDER, (one, four))

    def test_email_body_sanitized_once(self):
        """Creating a message sanitizes its body for the database and again for
        the cache: inside a chunk, the same text with the same options is
        sanitized once, each email the same as before."""
        reminders = self._prepare()
        normalize = mail_tools.html_normalize
        normalized = []

        def count(src, *args, **kwargs):
            normalized.append(str(src))
            return normalize(src, *args, **kwargs)

        with patch.object(mail_tools, "html_normalize", count):
            self._send_chunk(reminders)
        for reminder in reminders:
            body = reminder.email_message_id.body
            self.assertIn(reminder.level_line_ids.move_id.name, body)
            emails = [
                text
                for text in normalized
                if reminder.level_line_ids.move_id.name in text and "<table" in text
            ]
            self.assertEqual(len(emails), 1, reminder.partner_id.name)

    def test_blacklisted_recipient_looked_up_once_per_chunk(self):
        """One customer's address is blacklisted: its email fails with the
        reason (a letter instead), the others go."""
        blocked = self.customers[0]
        self.env["mail.blacklist"].sudo()._add(blocked.email)
        reminders = self._prepare()
        self._send_chunk(reminders)
        reminder = reminders.filtered(lambda r: r.partner_id == blocked)
        self.assertEqual(reminder.email_status, "error")
        self.assertIn("blacklist", reminder.email_error)
        self.assertEqual(reminder.letter_status, "to_post")
        self.assertEqual(set((reminders - reminder).mapped("email_status")), {"queued"})
        self.assertFalse(self._mails_to(blocked))

    # ------------------------------------------------------------------
    # Chunks and time budget
    # ------------------------------------------------------------------

    def test_next_chunk_size(self):
        Reminder = self.env["dunning.reminder"]
        # Doubling while the time left allows it, up to the maximum.
        self.assertEqual(Reminder._dunning_next_chunk_size(1, 0.01, 60), 2)
        self.assertEqual(Reminder._dunning_next_chunk_size(64, 0.01, 60), 100)
        # Slow reminders (letters): as many as fit in half the time left.
        self.assertEqual(Reminder._dunning_next_chunk_size(16, 2.0, 30), 7)
        # Never less than one, even when the time is up.
        self.assertEqual(Reminder._dunning_next_chunk_size(8, 2.0, 0), 1)

    # ------------------------------------------------------------------
    # Letters
    # ------------------------------------------------------------------

    def _patched_build(self, patched):
        return patch.object(
            type(self.env["dunning.reminder"]), "_dunning_pdf_prints_header", return_value=patched
        )

    def test_letter_runs_follow_the_build(self):
        reminders = self._prepare()
        with self._patched_build(False):
            runs = reminders._get_dunning_letter_runs()
        # Debian's build (no patched Qt): one wkhtmltopdf run per letter.
        self.assertEqual([len(run) for run in runs], [1] * 6)
        with self._patched_build(True):
            runs = reminders._get_dunning_letter_runs()
        # A patched build: one run per language.
        self.assertEqual(sorted(len(run) for run in runs), [3, 3])
        self.assertEqual(
            {tuple(set(run.partner_id.mapped("lang"))) for run in runs},
            {
                ("en_US",),
                ("fr_FR",),
            },
        )

    def _fake_streams(self, calls):
        def prepare_streams(report, report_ref, data, res_ids=None):
            calls.append((report.env.context.get("lang"), list(res_ids)))
            return {
                res_id: {"stream": io.BytesIO(b"%PDF letter " + str(res_id).encode())}
                for res_id in res_ids
            }

        return patch.object(
            type(self.env["ir.actions.report"]), "_render_qweb_pdf_prepare_streams", prepare_streams
        )

    def test_letters_of_a_chunk_printed_in_one_run_per_language(self):
        """On a build that prints several records at once, the letters of a
        chunk come from one wkhtmltopdf run per language, split by letter."""
        self.level_first.write({"send_email": False, "send_letter": True})
        reminders = self._prepare().with_context(force_report_rendering=True)
        calls = []
        with self._patched_build(True), self._fake_streams(calls):
            self._send_chunk(reminders)
        self.assertEqual(sorted(lang for lang, __ in calls), ["en_US", "fr_FR"])
        self.assertEqual(
            sorted(res_id for __, ids in calls for res_id in ids), sorted(reminders.ids)
        )
        for reminder in reminders:
            self.assertEqual(reminder.letter_status, "to_post")
            self.assertEqual(
                reminder.letter_attachment_id.raw, b"%PDF letter " + str(reminder.id).encode()
            )

    def test_letters_not_printed_together_on_debian_build(self):
        reminders = self._prepare().with_context(force_report_rendering=True)
        calls = []
        with self._patched_build(False), self._fake_streams(calls):
            self.assertEqual(reminders._dunning_render_letters(), {})
        self.assertFalse(calls)

    def test_letters_that_cannot_be_split_are_printed_one_by_one(self):
        reminders = self._prepare().with_context(force_report_rendering=True)

        def unsplit(report, report_ref, data, res_ids=None):
            return {False: {"stream": io.BytesIO(b"%PDF all letters")}}

        Report = type(self.env["ir.actions.report"])
        with (
            self._patched_build(True),
            patch.object(Report, "_render_qweb_pdf_prepare_streams", unsplit),
        ):
            self.assertEqual(reminders._dunning_render_letters(), {})
