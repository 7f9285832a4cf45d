# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the reporting views share: the customer's profile in SQL, and averages
weighted by an amount in pivot and graph views."""

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
    def _dunning_profile_sql(self, pairs):
        """Profile of customers in companies, as the daily run sees them.

        :param SQL pairs: query of (partner_id, company_id) rows, commercial
            partners
        :return: SQL query of (partner_id, company_id, category_id, scenario_id,
            user_id): the customer's category that chooses its scenario (the
            first of its categories linked to a scenario of the company, in
            scenario order; none when no category is linked to one), its
            applied scenario (its own, else its
            categories', else the company's default) and the accountant in charge
            of its reminders (its dunning responsible, else its salesperson)
        """
        return SQL(
            """
            SELECT pairs.partner_id, pairs.company_id,
                   main_cat.category_id,
                   COALESCE(own.id, main_cat.scenario_id, (
                       SELECT dflt.id
                         FROM res_company company
                         JOIN dunning_scenario dflt
                           ON dflt.id = company.dunning_default_scenario_id AND dflt.active
                        WHERE company.id = pairs.company_id
                   )) AS scenario_id,
                   COALESCE(partner.dunning_responsible_id, partner.user_id) AS user_id
              FROM (%(pairs)s) pairs
              JOIN res_partner partner ON partner.id = pairs.partner_id
         LEFT JOIN dunning_scenario own
                ON own.id = (partner.dunning_scenario_id ->> pairs.company_id::text)::int
               AND own.company_id = pairs.company_id AND own.active
         LEFT JOIN LATERAL (
                SELECT rel.category_id, scenario.id AS scenario_id
                  FROM res_partner_res_partner_category_rel rel
                  JOIN dunning_scenario_partner_category_rel scenario_rel
                    ON scenario_rel.category_id = rel.category_id
                  JOIN dunning_scenario scenario
                    ON scenario.id = scenario_rel.scenario_id
                   AND scenario.company_id = pairs.company_id AND scenario.active
                 WHERE rel.partner_id = pairs.partner_id
              ORDER BY scenario.sequence, scenario.id, rel.category_id
                 LIMIT 1
               ) main_cat ON TRUE
            """,
            pairs=pairs,
        )
