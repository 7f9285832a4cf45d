# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The shipped scenarios run over an ordinary, messy ledger, and every message
they produce is checked against the truth rules: a real recipient, a positive
amount in one currency, the customer's language only, no formal notice as first
contact, the same amount in the email and the letter of a formal notice, SMS
in one GSM-7 segment.

Timeline: go-live run on Monday 2026-03-16 (everything sent by the accountant),
then the runs of 2026-03-23 and 2026-03-30.
"""

import re

import lxml.html

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import format_amount, html2plaintext

from .common import DunningCommon
from .test_channels import gsm7_length

LETTER = "dunning_scenario.dunning_letter_report"
RUNS = ("2026-03-16", "2026-03-23", "2026-03-30")
# A real https base URL of 40 characters: the SMS must still fit one segment.
BASE_URL = "https://factures.ateliers-durand.example"
# English words that must never appear in a French customer's message.
ENGLISH = re.compile(
    r"\b(dear|invoices?|reminders?|payment|please|overdue|due date|left to pay|"
    r"amount|kind regards|nobody|missing|not computed|ecb|refinancing|pay online|"
    r"formal notice|yours)\b",
    re.IGNORECASE,
)
# Internal or technical words that never belong in a customer document.
INTERNAL = re.compile(r"(Nobody to make|Traceback|\bFalse\b|\bNone\b|\bH[12]\b|non calculé)")


@tagged("post_install", "-at_install")
class TestMessyLedger(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["dunning_scenario"], ["fr_FR"])
        cls.env["ir.config_parameter"].sudo().set_param("web.base.url", BASE_URL)
        cls.env["ir.config_parameter"].sudo().set_param("web.base.url.freeze", True)
        cls.company.write(
            {
                "name": "Ateliers Durand SAS",
                "street": "12 rue de la Paix",
                "zip": "75002",
                "city": "Paris",
                "dunning_invoice_penalties": True,
            }
        )
        cls.env["res.partner.bank"].create(
            {"acc_number": "FR7630006000011234567890189", "partner_id": cls.company.partner_id.id}
        )
        cls.eur = cls.setup_other_currency("EUR", rates=[("2026-01-01", 0.9)])
        # The shipped default scenarios, as a new company gets them.
        cls.shipped = {}
        for key in ("business", "consumer", "public"):
            cls.shipped[key] = (
                cls.env.ref(f"dunning_scenario.scenario_{key}")
                .sudo()
                .copy({"company_id": cls.company.id, "partner_category_ids": [Command.clear()]})
            )

        def customer(name, scenario="business", **values):
            vals = {
                "lang": "fr_FR",
                "street": "8 avenue des Tilleuls",
                "zip": "69003",
                "city": "Lyon",
                "mobile": "+33612345678",
                "dunning_scenario_id": cls.shipped[scenario].id,
                **values,
            }
            return cls._create_customer(name, **vals)

        inv = cls._create_invoice
        # In credit: a credit note larger than its invoice (net -300).
        cls.in_credit = customer("Client Crediteur")
        inv(cls.in_credit, "2026-02-01", 1000.0)
        cls._create_credit_note(cls.in_credit, 1300.0, "2026-02-10")
        # At net zero: a payment received, not matched.
        cls.net_zero = customer("Client Solde")
        inv(cls.net_zero, "2026-02-01", 500.0)
        cls._create_unreconciled_payment(cls.net_zero, 500.0, "2026-02-20")
        # Two currencies for one customer.
        cls.two_currencies = customer("Client Deux Devises")
        inv(cls.two_currencies, "2026-02-20", 2200.0, currency=cls.eur)
        inv(cls.two_currencies, "2026-02-20", 2000.0)
        # No email, phone nor address.
        cls.no_contact = customer(
            "Client Injoignable", email=False, mobile=False, street=False, zip=False, city=False
        )
        inv(cls.no_contact, "2026-02-20", 800.0)
        # Archived customer.
        cls.archived = customer("Client Archive")
        inv(cls.archived, "2026-02-01", 900.0)
        cls.archived.active = False
        # A two-year-old backlog invoice at go-live.
        cls.backlog = customer("Client Ancien")
        inv(cls.backlog, "2024-03-01", 3000.0, invoice_date="2024-02-01")
        # Partially paid invoice.
        cls.partial = customer("Client Partiel")
        cls.partial_invoice = inv(cls.partial, "2026-02-25", 1000.0)
        cls._pay(cls.partial_invoice, 400.0, "2026-03-05")
        # Invoice paid between the preparation and the sending of its reminder.
        cls.crossing = customer("Client Croisement")
        cls.crossing_invoice = inv(cls.crossing, "2026-02-25", 700.0)
        # Consumer with a six-digit amount (friendly level: email and SMS).
        cls.consumer = customer("Camille Bernard", scenario="consumer", is_company=False)
        inv(cls.consumer, "2026-03-06", 123456.0)
        # Business customer whose penalties get invoiced (a penalty invoice).
        cls.penalized = customer("Client Penalites")
        inv(cls.penalized, "2026-01-15", 4000.0)

    def _send_all(self, reminders, day):
        """The accountant sends every reminder one by one; the ones that cannot be
        sent must say why and stay in To remind."""
        for reminder in self._as_accountant(reminders):
            if reminder.state != "draft":
                continue
            reason = reminder.send_blocked_reason
            try:
                with self._frozen(day), self.env.cr.savepoint():
                    reminder.action_send()
            except UserError:
                self.assertTrue(reason, f"{reminder.name} refused without a visible reason")
                self.assertEqual(reminder.state, "draft")

    def _currencies(self, text):
        """Currency symbols next to an amount in ``text``, the legal 40 € aside."""
        text = text.replace("\xa0", " ").replace("\u202f", " ")
        # Amounts the law sets in euros: the 40 € indemnity, the 5 000 € ceiling
        # of the small-claims procedure.
        text = re.sub(r"(40(?:[,.]00)?|5[ .,]?000(?:[,.]00)?)\s?€", "", text)
        found = set()
        for symbol in ("€", "$"):
            escaped = re.escape(symbol)
            if re.search(rf"\d\s?{escaped}|{escaped}\s?\d", text):
                found.add(symbol)
        return found

    def _assert_customer_text(self, reminder, text, what):
        text = re.sub(r"https?://\S+", "", text)  # links hold random codes
        self.assertFalse(INTERNAL.search(text), f"{what} of {reminder.name}: internal text")
        if reminder.partner_id.lang == "fr_FR":
            hit = ENGLISH.search(text)
            self.assertFalse(hit, f"{what} of {reminder.name}: English {hit and hit.group(0)!r}")
        self.assertEqual(
            self._currencies(text),
            {reminder.currency_id.symbol},
            f"{what} of {reminder.name}: one currency",
        )
        claimed = format_amount(
            reminder.with_context(lang=reminder.partner_id.lang).env,
            reminder.amount_claimed,
            reminder.currency_id,
        )
        self.assertGreater(reminder.amount_claimed, 0, f"{reminder.name}: amount claimed")
        plain = text.replace("\xa0", " ").replace("\u202f", " ")
        self.assertIn(claimed.replace("\xa0", " ").replace("\u202f", " "), plain, what)

    def test_messy_ledger_every_message_true(self):
        self.company.dunning_credit_controller_id = self.accountant
        reminders = self.env["dunning.reminder"]
        for index, day in enumerate(RUNS):
            created = self._run(day)
            if index == 0:
                # Paid in full between preparation and sending.
                self._pay(self.crossing_invoice, 700.0, day)
            self._send_all(created, day)
            reminders |= created
            if index == 0:
                penalized = created.filtered(lambda r: r.partner_id == self.penalized)
                self.assertEqual(penalized.state, "sent")
                with self._frozen(day):
                    action = self._as_accountant(penalized).action_invoice_penalties()
                    penalty_invoice = self.env["account.move"].browse(action["res_id"])
                    penalty_invoice.invoice_date_due = "2026-03-16"
                    penalty_invoice.action_post()
        reminders = reminders.sudo()

        # Nothing asked of customers who owe nothing; nothing for the archived one;
        # and each of them says why.
        for partner in (self.in_credit, self.net_zero, self.archived):
            self.assertFalse(
                reminders.filtered(lambda r, p=partner: r.partner_id == p and r.state == "sent"),
                partner.name,
            )
            moves = self.env["account.move"].search([("partner_id", "=", partner.id)])
            reasons = moves.filtered(lambda m: m.move_type == "out_invoice").mapped(
                "dunning_skip_reason"
            )
            self.assertTrue(all(reasons), f"{partner.name}: no visible reason")
        # The crossing payment dropped its reminder.
        crossing = reminders.filtered(lambda r: r.partner_id == self.crossing)
        self.assertNotIn("sent", crossing.mapped("state"))
        # One reminder per currency.
        two = reminders.filtered(lambda r: r.partner_id == self.two_currencies)
        self.assertEqual(set(two.mapped("currency_id.name")), {"EUR", "USD"})
        # The partial payment: only what is left.
        partial = reminders.filtered(lambda r: r.partner_id == self.partial)[:1]
        self.assertEqual(partial.amount_claimed, 600.0)

        sent = reminders.filtered(lambda r: r.state == "sent")
        self.assertTrue(sent)
        for reminder in sent:
            # No formal notice as first contact, for any of its invoices.
            if reminder.level_id.is_formal_notice or reminder.level_id.is_litigation:
                for line in reminder.level_line_ids:
                    earlier = self.env["dunning.reminder.line"].search(
                        [
                            ("move_id", "=", line.move_id.id),
                            ("reminder_id.state", "=", "sent"),
                            ("reminder_id.date", "<", reminder.date),
                        ]
                    )
                    self.assertTrue(earlier, f"{reminder.name}: formal notice as first contact")

        mails = self.env["mail.mail"].sudo().search([("model", "=", "dunning.reminder")])
        self.assertTrue(mails)
        for mail in mails:
            reminder = reminders.browse(mail.res_id)
            self.assertTrue(mail.recipient_ids or mail.email_to, f"{mail.subject}: no recipient")
            self.assertTrue(all(p.email for p in mail.recipient_ids), mail.subject)
            self._assert_customer_text(
                reminder, html2plaintext(mail.body_html), f"email {mail.subject!r}"
            )
            if reminder.level_id.is_formal_notice:
                self.assertNotIn("tenir compte", html2plaintext(mail.body_html))

        all_sms = self.env["sms.sms"].sudo().search([])
        self.assertTrue(all_sms)
        for sms in all_sms:
            message = sms.mail_message_id
            self.assertEqual(message.model, "dunning.reminder")
            reminder = reminders.browse(message.res_id)
            self.assertTrue(sms.number, "SMS without a number")
            septets = gsm7_length(sms.body)
            self.assertIsNotNone(septets, f"not GSM-7: {sms.body!r}")
            self.assertLessEqual(septets, 160, sms.body)
            self.assertIn(f"{BASE_URL}/r/", sms.body)
            self._assert_customer_text(reminder, sms.body, "SMS")

        for reminder in sent.filtered("level_id.send_letter"):
            html = (
                self.env["ir.actions.report"]
                .with_context(lang=reminder.partner_id.lang)
                ._render_qweb_html(LETTER, reminder.ids)[0]
            )
            # The text a reader sees (not the logo's data nor the styles).
            document = lxml.html.fromstring(html)
            for node in document.xpath("//style|//script"):
                node.drop_tree()
            letter = re.sub(r"\s+", " ", document.text_content())
            self._assert_customer_text(reminder, letter, "letter")
            if reminder.level_id.is_formal_notice:
                self.assertNotIn("tenir compte", letter)
                mail = mails.filtered(lambda m, r=reminder: m.res_id == r.id)
                amount = format_amount(
                    reminder.with_context(lang=reminder.partner_id.lang).env,
                    reminder.amount_claimed,
                    reminder.currency_id,
                )
                amount = amount.replace("\xa0", " ").replace("\u202f", " ")
                for text in (letter, html2plaintext(mail.body_html)):
                    text = text.replace("\xa0", " ").replace("\u202f", " ")
                    self.assertIn(amount, text, "same amount in the letter and the email")
