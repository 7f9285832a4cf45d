# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the reporting views share: the customer's profile in SQL, averages
weighted by an amount in pivot and graph views, the way to the customer."""

from odoo import api, models
from odoo.tools import SQL

# What the customer profile of _dunning_profile_sql reads (flushed before a query).
PROFILE_DEPENDS = {
    "res.partner": ["dunning_responsible_id", "user_id", "category_id", "dunning_scenario_id"],
    "res.company": ["dunning_default_scenario_id"],
    "dunning.scenario": ["active", "sequence", "company_id", "partner_category_ids"],
}


class DunningReportMixin(models.AbstractModel):
    _name = "dunning.report.mixin"
    _description = "Payment Reminder Reporting Helpers"

    # {field: (numerator field, denominator field, factor)}: when grouped, the
    # field shows SUM(numerator) / SUM(denominator) * factor (a weighted
    # average, or a share of amounts), not the average of the rows.
    _dunning_ratio_fields = {}

    def _read_group_select(self, aggregate_spec, query):
        fname, __, func = aggregate_spec.partition(":")
        if fname in self._dunning_ratio_fields and func == "avg":
            numerator, denominator, factor = self._dunning_ratio_fields[fname]
            return SQL(
                "SUM(%s) * %s / NULLIF(SUM(%s), 0)",
                self._field_to_sql(self._table, numerator, query),
                factor,
                self._field_to_sql(self._table, denominator, query),
            )
        return super()._read_group_select(aggregate_spec, query)

    @api.model
    def _dunning_no_jit(self):
        """PostgreSQL's JIT compiler, triggered by the rough row estimates of
        these queries, costs seconds for a result computed in milliseconds: off
        for the rest of the transaction (one request), as advised for Odoo."""
        self.env.cr.execute("SET LOCAL jit = off")

    @api.model
    def _dunning_profile_sql(self, move="m", company="company"):
        """Profile of the customer of each invoice, as the daily run sees it.

        The view's query names the invoice (account_move) ``move`` and joins its
        company (res_company) as ``company``. Every join added is a LEFT JOIN on
        a unique key (a primary key, or the GROUP BY of the categories'
        subquery): PostgreSQL drops those whose columns a query does not read,
        so that counting the rows or finding a page of them ordered by the
        invoice's own columns reads the invoices only.

        :return: (columns, joins): SQL of the columns category_id (the
            customer's category that chooses its scenario: the first of its
            categories linked to a scenario of the company, in scenario order;
            none when no category is linked to one), scenario_id (its own, else
            its categories', else the company's default) and user_id (the
            accountant in charge of its reminders: its dunning responsible, else
            its salesperson); SQL of the joins giving them
        """
        move, company = SQL.identifier(move), SQL.identifier(company)
        columns = SQL(
            """profile_category.category_id,
               COALESCE(own_scenario.id, profile_category.scenario_id, default_scenario.id)
                   AS scenario_id,
               COALESCE(customer.dunning_responsible_id, customer.user_id) AS user_id""",
        )
        joins = SQL(
            """
         LEFT JOIN res_partner customer ON customer.id = %(move)s.commercial_partner_id
         LEFT JOIN dunning_scenario own_scenario
                ON own_scenario.id = (customer.dunning_scenario_id
                                      ->> %(move)s.company_id::text)::int
               AND own_scenario.company_id = %(move)s.company_id AND own_scenario.active
         LEFT JOIN dunning_scenario default_scenario
                ON default_scenario.id = %(company)s.dunning_default_scenario_id
               AND default_scenario.active
         LEFT JOIN (
                SELECT rel.partner_id, scenario.company_id,
                       (ARRAY_AGG(rel.category_id
                                  ORDER BY scenario.sequence, scenario.id, rel.category_id))[1]
                           AS category_id,
                       (ARRAY_AGG(scenario.id
                                  ORDER BY scenario.sequence, scenario.id, rel.category_id))[1]
                           AS scenario_id
                  FROM res_partner_res_partner_category_rel rel
                  JOIN dunning_scenario_partner_category_rel scenario_rel
                    ON scenario_rel.category_id = rel.category_id
                  JOIN dunning_scenario scenario
                    ON scenario.id = scenario_rel.scenario_id AND scenario.active
                 GROUP BY rel.partner_id, scenario.company_id
               ) profile_category
                ON profile_category.partner_id = %(move)s.commercial_partner_id
               AND profile_category.company_id = %(move)s.company_id
            """,
            move=move,
            company=company,
        )
        return columns, joins

    def action_open_partner(self):
        """Open the customer's cockpit (its form) from a line of a report."""
        self.ensure_one()
        return self.partner_id._get_records_action()
