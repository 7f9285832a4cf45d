# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Which dunning scenario a customer follows: the ORM's rule for a few
records (forms, invoices), and the same rule in one query for the daily run's
thousands of customers (tests/test_run_speed.py checks they agree)."""

from odoo import models
from odoo.tools import SQL


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _dunning_get_effective_scenarios(self, company):
        """Effective scenario of each partner for ``company``, in a few queries.

        :return: dict partner id -> dunning.scenario (possibly empty)
        """
        # Archived scenarios and categories are not looked up, whatever the
        # context (the daily run reads archived customers too).
        Scenario = self.env["dunning.scenario"].with_context(active_test=True)
        scenarios = Scenario.sudo().search(
            [("company_id", "=", company.id), ("partner_category_ids", "!=", False)]
        )
        by_category = {}
        for scenario in scenarios:  # sorted by sequence: the first one wins
            for category in scenario.partner_category_ids:
                by_category.setdefault(category.id, scenario)

        def usable(scenario):
            # An archived scenario, or one of another company, is not followed.
            return scenario if scenario.active and scenario.company_id == company else Scenario

        default = usable(company.sudo().dunning_default_scenario_id)
        result = {}
        # Iterating the recordset keeps one prefetch for all: a query per field,
        # not per partner.
        commercials = {
            commercial.id: commercial
            for commercial in self.commercial_partner_id.with_company(company)
            .with_context(active_test=True)
            .sudo()
        }
        for partner in self:
            commercial = commercials[partner.commercial_partner_id.id]
            scenario = usable(commercial.dunning_scenario_id)
            if not scenario and by_category:
                matching = [
                    by_category[cat_id]
                    for cat_id in commercial.category_id.ids
                    if cat_id in by_category
                ]
                if matching:
                    scenario = min(matching, key=lambda s: (s.sequence, s.id))
            result[partner.id] = self.env["dunning.scenario"].browse((scenario or default).id)
        return result

    def _dunning_get_effective_scenario_ids(self, company):
        """The rule of _dunning_get_effective_scenarios in one query, as plain
        ids, for the daily run (thousands of customers, all in the database):
        the scenario forced on the commercial partner for ``company``, else the
        first one (sequence, id) of the company linked to one of its
        categories, else the company's default scenario. An archived scenario,
        or one of another company, is not followed; archived categories do not
        count.

        :return: dict partner id -> scenario id, or None
        """
        if not self:
            return {}
        self.env["res.partner"].flush_model(["commercial_partner_id", "category_id"])
        self.env["res.partner.category"].flush_model(["active"])
        self.env["dunning.scenario"].flush_model(
            ["active", "company_id", "sequence", "partner_category_ids"]
        )
        self.env["res.company"].flush_model(["dunning_default_scenario_id"])
        forced = (
            self.env["res.partner"]
            .with_company(company)
            .sudo()
            ._field_to_sql("commercial", "dunning_scenario_id")
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner.id,
                       COALESCE(
                           (SELECT scenario.id
                              FROM dunning_scenario scenario
                             WHERE scenario.id = %(forced)s
                               AND scenario.active
                               AND scenario.company_id = %(company)s),
                           (SELECT scenario.id
                              FROM res_partner_res_partner_category_rel tag
                              JOIN dunning_scenario_partner_category_rel link
                                ON link.category_id = tag.category_id
                              JOIN res_partner_category category
                                ON category.id = tag.category_id
                              JOIN dunning_scenario scenario
                                ON scenario.id = link.scenario_id
                             WHERE tag.partner_id = commercial.id
                               AND scenario.company_id = %(company)s
                               AND scenario.active
                               AND category.active
                             ORDER BY COALESCE(scenario.sequence, 0), scenario.id
                             LIMIT 1),
                           (SELECT scenario.id
                              FROM res_company company
                              JOIN dunning_scenario scenario
                                ON scenario.id = company.dunning_default_scenario_id
                             WHERE company.id = %(company)s
                               AND scenario.active
                               AND scenario.company_id = company.id)
                       )
                  FROM res_partner partner
                  JOIN res_partner commercial ON commercial.id = partner.commercial_partner_id
                 WHERE partner.id = ANY(%(ids)s)
                """,
                forced=forced,
                company=company.id,
                ids=list(self.ids),
            )
        )
        return dict(rows)
