# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the customer receives through each channel: email, SMS, letter, phone
call, and the thank-you after payment.

Every invoice is due on 2026-03-01 for 1,200.00 (tax free) and reaches the
first reminder (J+15) on 2026-03-16, the day the accountant sends it.
"""

import io
from unittest.mock import patch

from reportlab.pdfgen import canvas

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import format_amount, html2plaintext
from odoo.tools.pdf import PdfFileReader

from odoo.addons.sms.tests.common import MockSMS

from .common import DunningCommon

DUE = "2026-03-01"
RUN = "2026-03-16"

# GSM 03.38 basic character set and its extension (each extension char costs 2).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€"


def gsm7_length(text):
    """Septets used by ``text`` in GSM-7, or None if it needs UCS-2."""
    length = 0
    for char in text:
        if char in GSM7_BASIC:
            length += 1
        elif char in GSM7_EXTENSION:
            length += 2
        else:
            return None
    return length


@tagged("post_install", "-at_install")
class TestChannels(DunningCommon, MockSMS):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        france = cls.env.ref("base.fr")
        cls.company.write(
            {
                "country_id": france.id,
                "email": "billing@company-one.example.com",
                "street": "12 rue des Lilas",
                "zip": "69003",
                "city": "Lyon",
            }
        )
        cls.bank_account = cls.env["res.partner.bank"].create(
            {
                "acc_number": "FR76 3000 4000 0312 3456 7890 143",
                "partner_id": cls.company.partner_id.id,
                "company_id": cls.company.id,
            }
        )
        cls.collector = new_test_user(
            cls.env,
            login="dunning_collector",
            name="Claire Collector",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.mail_first = cls.env.ref("dunning_scenario.mail_template_dunning_first")
        cls.sms_first = cls.env.ref("dunning_scenario.sms_template_dunning_first")
        cls.level_first.write(
            {
                "send_email": True,
                "mail_template_id": cls.mail_first.id,
                "sms_template_id": cls.sms_first.id,
            }
        )
        cls.customer_fr = cls._create_customer(
            "Boulangerie Durand",
            cls.category_company,
            lang="fr_FR",
            country_id=france.id,
            mobile="06 12 34 56 78",
        )
        cls.customer_en = cls._create_customer(
            "Harbour Supplies",
            cls.category_company,
            lang="en_US",
            country_id=cls.env.ref("base.uk").id,
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _remind(self, partner, amount=1200.0):
        """One overdue invoice of ``partner`` and its first-reminder, not sent yet."""
        invoice = self._create_invoice(partner, DUE, amount)
        reminder = self._run(RUN).filtered(lambda r: r.partner_id == partner)
        self.assertEqual(reminder.level_id, self.level_first)
        return invoice, reminder

    def _send_one(self, reminder):
        with self._frozen(RUN), self.mockSMSGateway():
            return self._as_accountant(reminder).action_send()

    def _mails_to(self, partner):
        return self.env["mail.mail"].sudo().search([("recipient_ids", "in", partner.ids)])

    def _sms_to(self, number):
        return self.env["sms.sms"].sudo().search([("number", "=", number)])

    def _deliver(self, mails, error=None):
        """Run the mail queue on ``mails``, through a mail server that takes
        them, or that cannot be reached (``error``)."""
        IrMailServer = type(self.env["ir.mail_server"])

        def connect(*args, **kwargs):
            if error:
                raise error

        def send_email(server, message, *args, **kwargs):
            return message["Message-Id"]

        with (
            patch.object(IrMailServer, "connect", connect),
            patch.object(IrMailServer, "send_email", send_email),
        ):
            mails.send()

    def _amount(self, amount, lang="en_US"):
        return format_amount(self.env(context={"lang": lang}), amount, self.company.currency_id)

    # ------------------------------------------------------------------
    # Email
    # ------------------------------------------------------------------

    def test_email_english_customer(self):
        invoice, reminder = self._remind(self.customer_en)
        self.assertEqual(self._send_one(reminder), True)

        mail = self._mails_to(self.customer_en)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.subject, f"{self.company.name}: payment reminder ({reminder.name})")
        self.assertEqual(mail.state, "outgoing", "sent by the mail queue, not at once")
        body = html2plaintext(mail.body_html)
        self.assertIn("Dear Harbour Supplies,", body)
        self.assertIn(invoice.name, body)
        self.assertIn(self._amount(1200.0), body)  # amount and left to pay
        self.assertIn("03/01/2026", body)  # due date
        self.assertIn("03/24/2026", body)  # pay-by date: run date + 8 days
        self.assertIn("FR76 3000 4000 0312 3456 7890 143", body)
        self.assertIn("12 rue des Lilas, 69003 Lyon", body)
        self.assertIn("If your payment has crossed this message, please ignore it.", body)
        # No online payment provider in this database: paying online is neither
        # linked nor promised.
        self.assertFalse(reminder.can_pay_online)
        self.assertNotIn("Pay online", body)
        self.assertNotIn("by card", body)
        self.assertNotIn("/my/invoices/", mail.body_html)

        self.assertEqual(reminder.state, "sent")
        # Queued until the mail server takes it: only then is it sent.
        self.assertEqual(reminder.email_status, "queued")
        self.assertEqual((reminder.sms_status, reminder.letter_status), ("none", "none"))
        self._deliver(mail)
        self.assertEqual((reminder.email_status, reminder.email_error), ("done", False))
        self.assertIn(
            f"Reminder {reminder.name} (First reminder): email to",
            " ".join(self._messages(invoice)),
        )
        self.assertIn(
            f"Reminder {reminder.name} (First reminder): email to",
            " ".join(self._messages(self.customer_en)),
        )

    def test_sending_wakes_the_mail_queue(self):
        """Emails wait in the queue, whose job is asked to run at once instead of
        at its next hourly call."""
        queue = self.env.ref("mail.ir_cron_mail_scheduler_action")
        triggers = self.env["ir.cron.trigger"].sudo()
        before = triggers.search_count([("cron_id", "=", queue.id)])
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self.assertEqual(reminder.email_status, "queued")
        self.assertEqual(triggers.search_count([("cron_id", "=", queue.id)]), before + 1)

    def test_email_french_customer(self):
        self.mail_first.with_context(
            lang="fr_FR"
        ).subject = "{{ object.company_id.name }} : rappel de paiement ({{ object.name }})"
        invoice, reminder = self._remind(self.customer_fr)
        self._send_one(reminder)

        mail = self._mails_to(self.customer_fr)
        self.assertEqual(
            mail.subject, f"{self.company.name} : rappel de paiement ({reminder.name})"
        )
        body = html2plaintext(mail.body_html)
        self.assertIn(invoice.name, body)
        self.assertIn(self._amount(1200.0, "fr_FR"), body)
        self.assertNotIn(self._amount(1200.0, "en_US"), body)
        self.assertIn("01/03/2026", body)  # French date format

    def test_email_to_invoice_contact_and_responsible_follows(self):
        self.customer_en.user_id = self.collector
        contact = self.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "type": "invoice",
                "parent_id": self.customer_en.id,
                "email": "ap@harbour.example.com",
            }
        )
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self.assertEqual(len(self._mails_to(contact)), 1)
        self.assertFalse(self._mails_to(self.customer_en))
        self.assertIn(self.collector.partner_id, reminder.message_partner_ids)

    def test_email_attaches_invoices_when_asked(self):
        self.level_first.attach_invoices = True
        invoice, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        mail = self._mails_to(self.customer_en)
        self.assertEqual(
            mail.attachment_ids.mapped("name"), [invoice._get_invoice_report_filename()]
        )

    def test_no_attachment_by_default(self):
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self.assertFalse(self._mails_to(self.customer_en).attachment_ids)

    def test_no_email_falls_back_to_letter(self):
        self.customer_en.write(
            {"email": False, "street": "5 Market Street", "zip": "EC1A 1BB", "city": "London"}
        )
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)

        self.assertEqual(reminder.email_status, "error")
        self.assertEqual(
            reminder.email_error,
            "Harbour Supplies has no email address: a letter is sent instead.",
        )
        # The letter waits to be posted.
        self.assertEqual(reminder.letter_status, "to_post")
        letter = self.env["ir.attachment"].search(
            [("res_model", "=", "dunning.reminder"), ("res_id", "=", reminder.id)]
        )
        self.assertEqual(len(letter), 1)
        self.assertEqual(reminder.letter_attachment_id, letter)
        self.assertEqual(reminder.state, "sent")
        self.assertFalse(self._mails_to(self.customer_en))

    # ------------------------------------------------------------------
    # SMS
    # ------------------------------------------------------------------

    def test_sms_french_mobile(self):
        self.level_first.send_sms = True
        invoice, reminder = self._remind(self.customer_fr)
        self._send_one(reminder)

        sms = self._sms_to("+33612345678")
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.partner_id, self.customer_fr)
        self.assertEqual(sms.state, "outgoing", "sent by the SMS queue")
        self.assertIn(invoice.name, sms.body)
        self.assertIn(
            self._amount(1200.0, "fr_FR").replace("\u202f", " ").replace("\xa0", " "),
            sms.body,
        )
        self.assertIn(f"/r/{reminder.short_code}", sms.body)
        self.assertFalse(self._sms, "nothing reached the SMS gateway")
        self.assertEqual(reminder.sms_status, "queued")
        self.assertEqual(reminder.email_status, "queued")
        # One SMS in GSM-7, with a base URL as long as a real one.
        septets = gsm7_length(sms.body)
        self.assertIsNotNone(septets, f"not GSM-7: {sms.body!r}")
        self.assertLessEqual(septets, 160, sms.body)

    def test_sms_belgian_mobile(self):
        self.level_first.send_sms = True
        self.customer_en.write(
            {"country_id": self.env.ref("base.be").id, "mobile": "0470 12 34 56"}
        )
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self.assertEqual(len(self._sms_to("+32470123456")), 1)
        self.assertEqual(reminder.sms_status, "queued")

    def test_sms_phone_when_no_mobile(self):
        self.level_first.send_sms = True
        self.customer_fr.write({"mobile": False, "phone": "04 72 00 00 01"})
        __, reminder = self._remind(self.customer_fr)
        self._send_one(reminder)
        self.assertEqual(len(self._sms_to("+33472000001")), 1)

    def test_sms_missing_number_email_still_sent(self):
        self.level_first.send_sms = True
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)

        self.assertEqual(reminder.sms_status, "error")
        self.assertEqual(reminder.sms_error, "Harbour Supplies has no mobile or phone number.")
        self.assertTrue(reminder.has_channel_error)
        self.assertFalse(self._new_sms)
        self.assertEqual(reminder.email_status, "queued")
        self.assertEqual(len(self._mails_to(self.customer_en)), 1)
        self.assertEqual(reminder.state, "sent")
        self.assertIn(
            "SMS failed: Harbour Supplies has no mobile or phone number.",
            " ".join(self._messages(reminder)),
        )

    def test_sms_invalid_number(self):
        self.level_first.send_sms = True
        self.customer_fr.mobile = "12"
        __, reminder = self._remind(self.customer_fr)
        self._send_one(reminder)
        self.assertEqual(reminder.sms_status, "error")
        self.assertIn("12 cannot be read as a phone number (country: France)", reminder.sms_error)
        self.assertEqual(reminder.email_status, "queued")

    # ------------------------------------------------------------------
    # Status, failure and retry
    # ------------------------------------------------------------------

    def test_every_channel_failed_stays_to_remind(self):
        self.level_first.write({"send_email": False, "send_sms": True})
        __, reminder = self._remind(self.customer_en)
        action = self._send_one(reminder)

        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(reminder.state, "draft")
        self.assertEqual(reminder.sms_status, "error")
        self.assertFalse(reminder.auto_send_failed)
        self.assertEqual(reminder.level_line_ids.move_id.dunning_state, "to_remind")

        self.customer_en.mobile = "+44 7911 123456"
        self.assertEqual(self._send_one(reminder), True)
        self.assertEqual(reminder.state, "sent")
        self.assertEqual((reminder.sms_status, reminder.sms_error), ("queued", False))
        self.assertEqual(len(self._sms_to("+447911123456")), 1)

    def test_automatic_run_stops_on_reminder_that_failed(self):
        self.scenario_business.auto_send = True
        self.level_first.write({"send_email": False, "send_sms": True})
        invoice = self._create_invoice(self.customer_en, DUE, 1200.0)
        with self.mockSMSGateway():
            self._run(RUN)
        reminder = invoice.dunning_reminder_ids
        self.assertEqual(reminder.state, "draft")
        self.assertTrue(reminder.auto_send_failed)
        self.assertEqual(reminder.sms_status, "error")

    def test_retry_failed_channel_only(self):
        self.level_first.send_sms = True
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self.assertEqual((reminder.state, reminder.sms_status), ("sent", "error"))

        self.customer_en.mobile = "+44 7911 123456"
        with self._frozen(RUN), self.mockSMSGateway():
            self.assertEqual(self._as_accountant(reminder).action_retry_channels(), True)
        self.assertEqual((reminder.sms_status, reminder.sms_error), ("queued", False))
        self.assertFalse(reminder.has_channel_error)
        self.assertEqual(len(self._sms_to("+447911123456")), 1)
        self.assertEqual(len(self._mails_to(self.customer_en)), 1, "the email is not sent twice")

        with self.assertRaisesRegex(UserError, "No channel failed"):
            self._as_accountant(reminder).action_retry_channels()

    def test_retry_refused_on_draft(self):
        __, reminder = self._remind(self.customer_en)
        with self.assertRaisesRegex(UserError, "Only sent reminders"):
            self._as_accountant(reminder).action_retry_channels()

    def test_sent_reminder_still_refuses_other_changes(self):
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        with self.assertRaises(UserError):
            self._as_accountant(reminder).write({"user_id": self.collector.id})

    # ------------------------------------------------------------------
    # Phone call
    # ------------------------------------------------------------------

    def _call_activity(self, reminder):
        return reminder.activity_ids.filtered(
            lambda act: (act.activity_type_id == self.env.ref("mail.mail_activity_data_call"))
        )

    def test_call_activity_for_dunning_responsible(self):
        self.level_first.write({"send_email": False, "create_activity": True})
        self.customer_en.write(
            {"dunning_responsible_id": self.collector.id, "phone": "+44 20 7946 0000"}
        )
        invoice, reminder = self._remind(self.customer_en)
        self._send_one(reminder)

        activity = self._call_activity(reminder)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.date_deadline, self._d(RUN))
        note = html2plaintext(activity.note)
        self.assertIn(f"{invoice.name}: due 03/01/2026", note)
        self.assertIn("1,200.00\nleft to pay, 15 days late", note)
        self.assertIn("+44 20 7946 0000", note)
        self.assertEqual(reminder.call_status, "done")
        self.assertEqual(reminder.state, "sent")

    def test_call_responsible_fallbacks(self):
        self.level_first.write({"send_email": False, "create_activity": True})
        __, reminder = self._remind(self.customer_en)
        self.assertFalse(reminder._get_dunning_call_user())
        self.level_first.activity_user_id = self.accountant
        self.assertEqual(reminder._get_dunning_call_user(), self.accountant)
        self.customer_en.user_id = self.collector
        self.assertEqual(reminder._get_dunning_call_user(), self.collector)

    def test_call_without_anybody_is_an_error(self):
        self.level_first.create_activity = True
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self.assertEqual(reminder.call_status, "error")
        self.assertIn("Nobody to make the phone call", reminder.call_error)
        self.assertEqual(reminder.email_status, "queued")
        self.assertEqual(reminder.state, "sent")

    def _log_call(self, reminder, outcome, user=None, **values):
        wizard_form = Form(
            self.env["dunning.call.log"]
            .with_user(user or self.collector)
            .with_context(default_reminder_id=reminder.id)
        )
        wizard_form.outcome = outcome
        for name, value in values.items():
            setattr(wizard_form, name, value)
        with self._frozen(RUN):
            wizard_form.save().action_log()

    def _called_reminder(self):
        self.level_first.write({"send_email": False, "create_activity": True})
        self.customer_en.dunning_responsible_id = self.collector
        invoice, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self.assertEqual(len(self._call_activity(reminder)), 1)
        return invoice, reminder

    def test_call_reached(self):
        invoice, reminder = self._called_reminder()
        self._log_call(reminder, "reached", note="Will check with the accountant.")
        self.assertFalse(self._call_activity(reminder), "the call activity is done")
        self.assertIn(
            "Phone call to Harbour Supplies: Reached. Will check with the accountant.",
            " ".join(self._messages(reminder)),
        )
        self.assertIn(
            f"{reminder.name}: Phone call to Harbour Supplies: Reached.",
            " ".join(self._messages(self.customer_en)),
        )
        self.assertEqual(invoice.dunning_state, "reminded")

    def test_call_voicemail(self):
        # Logged by a colleague of the responsible: the activity is done all the same.
        __, reminder = self._called_reminder()
        self._log_call(reminder, "voicemail", user=self.accountant)
        self.assertFalse(self._call_activity(reminder))
        self.assertIn(
            "Phone call to Harbour Supplies: Voicemail.",
            " ".join(self._messages(reminder)),
        )

    def test_call_promise_pauses_invoices(self):
        invoice, reminder = self._called_reminder()
        self._log_call(reminder, "promise", promise_date=self._d("2026-03-31"))
        self.assertEqual(invoice.dunning_state, "paused")
        self.assertEqual(invoice.dunning_pause_reason, "promise")
        self.assertEqual(invoice.dunning_paused_until, self._d("2026-03-31"))
        self.assertIn(
            f"Promise to pay by 03/31/2026 ({invoice.name})",
            " ".join(self._messages(reminder)),
        )

    def test_call_promise_needs_a_future_date(self):
        __, reminder = self._called_reminder()
        with self.assertRaisesRegex(ValidationError, "after today"):
            self._log_call(reminder, "promise", promise_date=self._d("2026-03-10"))

    def test_call_dispute_pauses_invoices(self):
        invoice, reminder = self._called_reminder()
        self._log_call(reminder, "dispute", dispute_reason="Two pallets missing")
        self.assertEqual(invoice.dunning_state, "paused")
        self.assertEqual(invoice.dunning_pause_reason, "dispute")
        self.assertFalse(invoice.dunning_paused_until)
        self.assertIn("Two pallets missing", " ".join(self._messages(invoice)))

    def test_call_wrong_number(self):
        __, reminder = self._called_reminder()
        self._log_call(reminder, "wrong_number")
        self.assertEqual(reminder.call_status, "error")
        self.assertIn("Wrong number", reminder.call_error)
        # Once the number is fixed, retrying plans a new call.
        with self._frozen(RUN):
            self._as_accountant(reminder).action_retry_channels()
        self.assertEqual(reminder.call_status, "done")
        self.assertEqual(len(self._call_activity(reminder)), 1)

    # ------------------------------------------------------------------
    # Thank-you
    # ------------------------------------------------------------------

    def _thank_you_mails(self, partner):
        return self._mails_to(partner).filtered(lambda m: "thank you for your payment" in m.subject)

    def test_thank_you_sent_once(self):
        self.scenario_business.thank_you = True
        invoice, reminder = self._remind(self.customer_en)
        self._send_one(reminder)

        self._pay(invoice, 1200.0, self._d("2026-03-20"))
        self.assertEqual(
            invoice.payment_state,
            self.env["account.move"]._get_invoice_in_payment_state(),
        )
        mails = self._thank_you_mails(self.customer_en)
        self.assertEqual(len(mails), 1)
        self.assertEqual(
            mails.subject,
            f"{self.company.name}: thank you for your payment ({invoice.name})",
        )
        self.assertIn(invoice.name, html2plaintext(mails.body_html))
        self.assertTrue(invoice.dunning_thanked)

        # Unreconciled and paid again: no second thank-you.
        invoice.line_ids.remove_move_reconcile()
        self._pay(invoice, 1200.0, self._d("2026-03-21"))
        self.assertEqual(len(self._thank_you_mails(self.customer_en)), 1)

    def test_no_thank_you_for_invoice_never_reminded(self):
        self.scenario_business.thank_you = True
        invoice = self._create_invoice(self.customer_en, "2026-04-30", 500.0)
        self._pay(invoice, 500.0, self._d("2026-03-20"))
        self.assertFalse(self._thank_you_mails(self.customer_en))
        self.assertFalse(invoice.dunning_thanked)

    def test_no_thank_you_when_option_off(self):
        invoice, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self._pay(invoice, 1200.0, self._d("2026-03-20"))
        self.assertFalse(self._thank_you_mails(self.customer_en))

    def test_thank_you_in_french(self):
        self.scenario_business.thank_you = True
        template = self.env.ref("dunning_scenario.mail_template_dunning_thank_you")
        template.with_context(
            lang="fr_FR"
        ).subject = "{{ object.company_id.name }} : merci pour votre règlement ({{ object.name }})"
        invoice, reminder = self._remind(self.customer_fr)
        self._send_one(reminder)
        self._pay(invoice, 1200.0, self._d("2026-03-20"))
        mail = self._mails_to(self.customer_fr).filtered(lambda m: "merci" in m.subject)
        self.assertEqual(
            mail.subject,
            f"{self.company.name} : merci pour votre règlement ({invoice.name})",
        )
        self.assertIn(self._amount(1200.0, "fr_FR"), html2plaintext(mail.body_html))

    # ------------------------------------------------------------------
    # Done means it left: delivery of emails and SMS
    # ------------------------------------------------------------------

    def test_email_to_archived_contact_is_an_error(self):
        """The invoice contact was archived after the reminder was prepared: no
        email leaves for it (nor for nobody), a letter is asked instead."""
        contact = self.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "type": "invoice",
                "parent_id": self.customer_en.id,
                "email": "ap@harbour.example.com",
            }
        )
        self.customer_en.email = False
        __, reminder = self._remind(self.customer_en)
        self.assertEqual(reminder.email_partner_id, contact)
        contact.action_archive()
        self._send_one(reminder)
        self.assertEqual(reminder.email_status, "error")
        self.assertEqual(
            reminder.email_error,
            "Harbour Supplies has no email address: a letter is sent instead.",
        )
        self.assertFalse(self._mails_to(contact))
        self.assertFalse(reminder.email_message_id)
        self.assertTrue(reminder.has_channel_error)

    def test_email_to_blacklisted_address_is_an_error(self):
        self.env["mail.blacklist"].sudo()._add("harbour.supplies@example.com")
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self.assertEqual(reminder.email_status, "error")
        self.assertIn(
            "harbour.supplies@example.com is on the email blacklist", reminder.email_error
        )
        self.assertFalse(self._mails_to(self.customer_en))
        self.assertEqual(reminder.letter_status, "error", "no postal address either")

    def test_email_to_invalid_address_is_an_error(self):
        self.customer_en.email = "harbour supplies at example"
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self.assertEqual(reminder.email_status, "error")
        self.assertIn("(harbour supplies at example) is not valid", reminder.email_error)
        self.assertFalse(self._mails_to(self.customer_en))

    def test_email_refused_by_the_mail_server_is_an_error(self):
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        mail = self._mails_to(self.customer_en)
        self.assertEqual(reminder.email_status, "queued")

        self._deliver(mail, error=ConnectionRefusedError("Connection refused"))
        self.assertEqual(mail.state, "exception")
        self.assertEqual(reminder.email_status, "error")
        self.assertTrue(
            reminder.email_error.startswith(
                "The email to harbour.supplies@example.com was not delivered:"
            ),
            reminder.email_error,
        )
        self.assertEqual(
            reminder.email_error,
            "The email to harbour.supplies@example.com was not delivered: Connection failed "
            "(outgoing mail server problem) (Connection refused).",
        )
        self.assertTrue(reminder.has_channel_error)

        # Retried once the problem is solved: a new email, queued, then sent.
        with self._frozen(RUN):
            self._as_accountant(reminder).action_retry_channels()
        self.assertEqual((reminder.email_status, reminder.email_error), ("queued", False))
        new_mail = self._mails_to(self.customer_en) - mail
        self.assertEqual(len(new_mail), 1)
        self._deliver(new_mail)
        self.assertEqual(reminder.email_status, "done")

    def test_bounced_email_is_an_error(self):
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self._deliver(self._mails_to(self.customer_en))
        self.assertEqual(reminder.email_status, "done")
        self.env["mail.thread"]._routing_handle_bounce(
            False,
            {
                "bounced_email": "harbour.supplies@example.com",
                "bounced_partner": self.customer_en,
                "bounced_msg_ids": [],
                "bounced_message": reminder.email_message_id,
                "body": "550 5.1.1 No such user",
                "email_from": "mailer-daemon@example.com",
                "to": "bounce@example.com",
                "message_id": "<bounce@example.com>",
            },
        )
        self.assertEqual(reminder.email_status, "error")
        self.assertEqual(
            reminder.email_error,
            "The email to harbour.supplies@example.com was not delivered: Bounce "
            "(550 5.1.1 No such user).",
        )
        self.assertEqual(reminder.state, "sent")

    def test_sms_follows_the_provider(self):
        self.level_first.send_sms = True
        __, reminder = self._remind(self.customer_fr)
        self._send_one(reminder)
        self.assertEqual(reminder.sms_status, "queued")
        with self.mockSMSGateway():
            self._sms_to("+33612345678").send()
        self.assertEqual((reminder.sms_status, reminder.sms_error), ("done", False))

    def test_sms_in_error_is_an_error(self):
        self.level_first.send_sms = True
        __, reminder = self._remind(self.customer_fr)
        self._send_one(reminder)
        sms = self._sms_to("+33612345678")
        with self.mockSMSGateway(sim_error="wrong_number_format"):
            sms.send()
        self.assertEqual(sms.state, "error")
        self.assertEqual(reminder.sms_status, "error")
        self.assertEqual(
            reminder.sms_error,
            "The SMS to +33612345678 was not delivered: Wrong Number Format.",
        )
        self.assertTrue(reminder.has_channel_error)

    def test_sms_to_blacklisted_number_is_an_error(self):
        self.level_first.send_sms = True
        self.env["phone.blacklist"].sudo()._add(["+33612345678"])
        __, reminder = self._remind(self.customer_fr)
        self._send_one(reminder)
        self.assertEqual(reminder.sms_status, "error")
        self.assertIn("+33612345678 is on the SMS blacklist", reminder.sms_error)
        self.assertFalse(self._sms_to("+33612345678"))

    # ------------------------------------------------------------------
    # Letters to post
    # ------------------------------------------------------------------

    def _letter_reminder(self, formal_notice=False):
        self.customer_en.write({"street": "5 Market Street", "zip": "EC1A 1BB", "city": "London"})
        self.level_first.write({"send_email": False, "send_letter": True})
        __, reminder = self._remind(self.customer_en)
        # Its level made a formal notice, once the reminder is prepared.
        self.level_first.is_formal_notice = formal_notice
        self._send_one(reminder)
        return self._as_accountant(reminder)

    @staticmethod
    def _one_page_pdf(text):
        buffer = io.BytesIO()
        page = canvas.Canvas(buffer)
        page.drawString(72, 720, text)
        page.save()
        return buffer.getvalue()

    def _post(self, reminders, day, numbers=None, mode="post"):
        if mode == "post":
            action = reminders.action_post_letters()
        else:
            action = reminders.action_record_letter_ack()
        wizard_form = Form(
            self.env[action["res_model"]]
            .with_user(self.accountant)
            .with_context(**action["context"])
        )
        wizard_form.date = self._d(day)
        for index, number in enumerate(numbers or []):
            with wizard_form.line_ids.edit(index) as line:
                line.registered_number = number
        with self._frozen(day):
            wizard_form.save().action_confirm()

    def test_letter_waits_to_be_posted(self):
        reminder = self._letter_reminder()
        self.assertEqual(reminder.state, "sent")
        self.assertEqual(reminder.letter_status, "to_post")
        self.assertEqual(reminder.letter_attachment_id.res_id, reminder.id)
        self.assertIn(reminder, reminder.search([("letter_status", "=", "to_post")]))
        action = reminder.action_print_letters()
        self.assertEqual(action["url"], f"/dunning_scenario/letters?ids={reminder.id}")

        self._post(reminder, "2026-03-17")
        self.assertEqual(reminder.letter_status, "done")
        self.assertEqual(reminder.letter_posted_date, self._d("2026-03-17"))
        self.assertFalse(reminder.letter_registered_number)
        self.assertIn(
            f"Letter of reminder {reminder.name} posted on 03/17/2026.",
            self._messages(reminder),
        )
        with self.assertRaisesRegex(UserError, "no letter in that state"):
            reminder.action_post_letters()

    def test_letters_printed_in_one_pdf(self):
        """Printing gives the letters as stored when sent (tests make no real
        PDF: each stored letter is replaced by a one-page PDF), one after the
        other in one file."""
        self.customer_fr.write({"street": "3 rue Neuve", "zip": "69002", "city": "Lyon"})
        reminder_en = self._letter_reminder()
        __, reminder_fr = self._remind(self.customer_fr)
        self._send_one(reminder_fr)
        reminders = self._as_accountant(reminder_en | reminder_fr)
        for reminder in reminders:
            reminder.letter_attachment_id.sudo().raw = self._one_page_pdf(reminder.name)
        pdf = PdfFileReader(io.BytesIO(reminders._dunning_get_letters_pdf()))
        self.assertEqual(pdf.getNumPages(), 2)
        self.assertIn(reminder_fr.name, pdf.getPage(1).extractText())
        __, no_letter = self._remind(self.customer_plain)
        with self.assertRaisesRegex(UserError, "no letter to print"):
            (reminders | self._as_accountant(no_letter)).action_print_letters()

    def test_formal_notice_letter_needs_its_registered_number(self):
        reminder = self._letter_reminder(formal_notice=True)
        self.assertTrue(reminder.is_formal_notice)
        with self.assertRaisesRegex(UserError, "registered-mail number"):
            reminder._dunning_mark_letters_posted(self._d(RUN))
        with self.assertRaises(AssertionError), self._frozen(RUN):
            # The wizard requires it too.
            self._post(reminder, RUN)
        self.assertEqual(reminder.letter_status, "to_post")

        self._post(reminder, RUN, numbers=["1A 123 456 7890 1"])
        self.assertEqual(reminder.letter_status, "done")
        self.assertEqual(reminder.letter_registered_number, "1A 123 456 7890 1")
        self.assertFalse(reminder.letter_ack_date)

        self._post(reminder, "2026-03-19", mode="ack")
        self.assertEqual(reminder.letter_ack_date, self._d("2026-03-19"))
        self.assertIn(
            f"Registered letter no. 1A 123 456 7890 1 of reminder {reminder.name} received "
            "by the customer on 03/19/2026.",
            self._messages(reminder.level_line_ids.move_id),
        )
        # The customer received the formal notice that day: the invoices it claimed
        # get it as their receipt date (a consumer's legal interest runs from it).
        self.assertEqual(
            reminder.level_line_ids.move_id.dunning_formal_notice_ack_date, self._d("2026-03-19")
        )
        # The proof stays as recorded.
        with self.assertRaises(UserError):
            reminder.write({"letter_registered_number": "other"})

    def test_letter_to_incomplete_address_is_an_error(self):
        self.level_first.write({"send_email": False, "send_letter": True})
        self.customer_en.write({"street": False, "zip": False, "city": "London"})
        __, reminder = self._remind(self.customer_en)
        self._send_one(reminder)
        self.assertEqual(reminder.letter_status, "error")
        self.assertEqual(
            reminder.letter_error,
            "The postal address of Harbour Supplies is incomplete (missing: street, "
            "postcode): a letter could not reach it.",
        )
        self.assertFalse(reminder.letter_attachment_id)
        self.assertEqual(reminder.state, "draft", "nothing left")
