# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningTour(DunningCommon, HttpCase):
    """The accountant's journey in the web client, in headless Chromium.

    The browser works on the server's real date, so the data is dated from
    today rather than frozen: the levels used (J+15, J+30) are far from the
    invoices' 35 days overdue, so a time zone shift of a day changes nothing.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.accountant)
        cls.alpha = cls._create_customer("Tour Customer Alpha", cls.category_company)
        cls.beta = cls._create_customer("Tour Customer Beta", cls.category_company)
        due = today - timedelta(days=35)
        cls.invoice_alpha = cls._create_invoice(cls.alpha, due, 1200.0)
        cls.invoice_beta = cls._create_invoice(cls.beta, due, 800.0)
        Reminder = cls.env["dunning.reminder"].with_user(cls.accountant)
        # Fifteen days ago (20 days overdue), the first reminders were done.
        earlier = Reminder.with_context(dunning_today=today - timedelta(days=15))
        earlier._dunning_run()
        earlier.search([("state", "=", "draft")]).action_mark_reminded()
        # Today's run prepares the second reminders, waiting in "To Remind".
        Reminder._dunning_run()
        cls.reminders = Reminder.search([("state", "=", "draft")])

    def test_mark_two_reminders_as_reminded(self):
        invoices = self.invoice_alpha + self.invoice_beta
        self.assertEqual(self.reminders.partner_id, self.alpha + self.beta)
        self.assertEqual(self.reminders.level_id, self.level_second)
        self.assertEqual(invoices.mapped("dunning_level_id"), self.level_first)
        self.assertEqual(set(invoices.mapped("dunning_state")), {"to_remind"})

        self.start_tour("/odoo", "dunning_scenario_to_remind_tour", login=self.accountant.login)

        self.assertEqual(
            self.reminders.mapped("state"), ["sent", "sent"], "both reminders are done"
        )
        self.assertEqual(self.reminders.mapped("reminded_by"), ["mark", "mark"])
        for invoice in invoices:
            self.assertEqual(invoice.dunning_level_id, self.level_second, invoice.name)
            self.assertEqual(invoice.dunning_state, "reminded", invoice.name)
            self.assertEqual(invoice.dunning_count, 2, invoice.name)
