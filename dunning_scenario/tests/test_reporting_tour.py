# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestReportingTour(DunningCommon, HttpCase):
    """Dashboard, drill-down, cockpit and "Remind now" in headless Chromium.

    The browser works on the server's real date: the invoice is 20 days overdue
    (first reminder at J+15, second at J+30), far from any level change.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.accountant)
        cls.customer = cls._create_customer("Tour Cockpit Customer", cls.category_company)
        cls.invoice = cls._create_invoice(cls.customer, today - timedelta(days=20), 1500.0)
        other = cls._create_customer("Tour Other Customer", cls.category_individual)
        cls._create_invoice(other, today + timedelta(days=10), 300.0)

    def test_dashboard_to_remind_now(self):
        self.start_tour("/odoo", "dunning_scenario_reporting_tour", login=self.accountant.login)
        reminder = self.env["dunning.reminder"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(reminder.state, "draft")
        self.assertEqual(reminder.level_id, self.level_first)
        self.assertEqual(reminder.level_line_ids.move_id, self.invoice)
