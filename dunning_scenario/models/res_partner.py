# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_scenario_id = fields.Many2one(
        "dunning.scenario",
        string="Dunning Scenario",
        company_dependent=True,
        tracking=True,
        help="Forces the scenario of this customer, whatever its categories.",
    )
    dunning_effective_scenario_id = fields.Many2one(
        "dunning.scenario",
        string="Applied Dunning Scenario",
        compute="_compute_dunning_effective_scenario_id",
        help="The customer's own scenario, else the first scenario linked to one of "
        "its categories, else the company's default scenario.",
    )
    dunning_excluded = fields.Boolean(
        string="No Reminders",
        tracking=True,
        help="Never send payment reminders to this customer.",
    )
    dunning_responsible_id = fields.Many2one(
        "res.users",
        string="Dunning Responsible",
        tracking=True,
        help="Accountant in charge of this customer's reminders and phone calls.",
    )
    # Late-payment penalty rate agreed with this customer (French law: at least
    # 3 times the legal interest rate, checked per half-year when computing).
    dunning_contract_rate = fields.Float(
        string="Contractual Penalty Rate (%)",
        digits=(16, 2),
        company_dependent=True,
        tracking=True,
        help="Annual late-payment rate agreed with this customer, replacing the company's "
        "for its invoices dated from the start date. Empty: the company's rate.",
    )
    dunning_contract_rate_date = fields.Date(
        string="Contractual Rate Since",
        company_dependent=True,
        help="The customer's rate applies to its invoices dated from this day. Empty: "
        "all its invoices.",
    )
    dunning_reminder_ids = fields.One2many("dunning.reminder", "partner_id", string="Reminders")
    dunning_reminder_count = fields.Integer(compute="_compute_dunning_reminder_count")

    @api.depends_context("company")
    @api.depends(
        "dunning_scenario_id",
        "category_id",
        "commercial_partner_id.dunning_scenario_id",
        "commercial_partner_id.category_id",
    )
    def _compute_dunning_effective_scenario_id(self):
        scenarios = self._dunning_get_effective_scenarios(self.env.company)
        for partner in self:
            partner.dunning_effective_scenario_id = scenarios[partner.id]

    def _dunning_get_effective_scenarios(self, company):
        """Effective scenario of each partner for ``company``, in a few queries.

        :return: dict partner id -> dunning.scenario (possibly empty)
        """
        Scenario = self.env["dunning.scenario"]
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
            for commercial in self.commercial_partner_id.with_company(company).sudo()
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
            result[partner.id] = Scenario.browse((scenario or default).id)
        return result

    def _compute_dunning_reminder_count(self):
        counts = dict(
            self.env["dunning.reminder"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.dunning_reminder_count = counts.get(partner.commercial_partner_id, 0)

    @api.constrains("dunning_contract_rate")
    def _check_dunning_contract_rate(self):
        for partner in self.filtered("dunning_contract_rate"):
            self.env["res.company"]._dunning_check_contract_rate_floor(
                partner.dunning_contract_rate
            )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "dunning_excluded",
            "dunning_responsible_id",
            "dunning_contract_rate",
            "dunning_contract_rate_date",
        ]

    def write(self, vals):
        res = super().write(vals)
        if {"dunning_scenario_id", "category_id", "dunning_excluded"} & set(vals):
            # Categories are shared by all companies: re-plan everywhere.
            self.env["account.move"]._dunning_reset_schedule(partners=self.commercial_partner_id)
        if {"dunning_contract_rate", "dunning_contract_rate_date"} & set(vals):
            moves = self.env["account.move"].search(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)]
            )
            self.env["dunning.reminder.line"]._dunning_recompute_draft_penalties(moves=moves)
        return res

    def action_view_dunning_reminders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "dunning_scenario.dunning_reminder_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
