# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestInstall(DunningCommon):
    def test_security_covers_every_model(self):
        """Every model of the addon has at least one access right."""
        model_ids = (
            self.env["ir.model.data"]
            .sudo()
            .search([("module", "=", "dunning_scenario"), ("model", "=", "ir.model")])
            .mapped("res_id")
        )
        own = self.env["ir.model"].sudo().browse(model_ids)
        self.assertIn("dunning.reminder", own.mapped("model"))
        self.assertTrue(all("dunning_scenario" in m.modules.split(", ") for m in own))
        missing = own.filtered(lambda m: not m.access_ids)
        self.assertFalse(missing.mapped("model"), "models without access rights")

    def test_default_scenarios(self):
        """The shipped scenarios exist, with delays increasing level after level."""
        # They belong to the main company, not the test one: read them as superuser.
        business = self.env.ref("dunning_scenario.scenario_business").sudo()
        self.assertEqual(business._get_sorted_levels().mapped("delay_days"), [-2, 15, 30, 45, 60])
        levels = business._get_sorted_levels()
        self.assertEqual(levels.filtered("is_formal_notice").delay_days, 45)
        self.assertEqual(levels.filtered("is_litigation"), levels[-1])
        for xmlid in ("scenario_business", "scenario_consumer", "scenario_public"):
            scenario = self.env.ref(f"dunning_scenario.{xmlid}").sudo()
            delays = scenario._get_sorted_levels().mapped("delay_days")
            self.assertEqual(delays, sorted(set(delays)), xmlid)
            litigation = scenario.level_ids.filtered("is_litigation")
            if litigation:
                self.assertEqual(litigation, scenario._get_sorted_levels()[-1], xmlid)
        self.assertEqual(
            self.env.ref("base.main_company").sudo().dunning_default_scenario_id,
            business,
        )

    def test_smoke_invoice_reminder_fields(self):
        """A posted customer invoice shows its reminder fields to the accountant."""
        invoice = self._create_invoice(self.customer_company, "2026-03-31", 1200.0)
        invoice = self._as_accountant(invoice)
        self.assertEqual(invoice.dunning_state, "none")
        self.assertEqual(invoice.dunning_scenario_id, self.scenario_business)
        self.assertFalse(invoice.dunning_level_id)
        self.assertEqual(invoice.dunning_count, 0)
        self.assertEqual(invoice.amount_residual, 1200.0)
        self.assertEqual(invoice.invoice_date_due, self._d("2026-03-31"))

    def test_accountant_reads_but_cannot_configure_scenarios(self):
        """Billing users follow the scenarios; only administrators change them."""
        scenario = self._as_accountant(self.scenario_business)
        self.assertEqual(scenario.level_ids, self.scenario_business.level_ids)
        with self.assertRaises(AccessError):
            scenario.min_interval_days = 1
        with self.assertRaises(AccessError):
            scenario.level_ids[0].delay_days = -5
