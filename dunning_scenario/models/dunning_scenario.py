# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

# Changing one of these makes the open invoices of the company planned again.
SCHEDULE_FIELDS = {
    "active",
    "company_id",
    "partner_category_ids",
    "min_amount",
    "min_interval_days",
    "sequence",
    "debtor_type",
}


class DunningScenario(models.Model):
    _name = "dunning.scenario"
    _description = "Dunning Scenario"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(
        default=10,
        help="When a customer has several categories linked to scenarios, "
        "the scenario with the lowest sequence wins.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_category_ids = fields.Many2many(
        "res.partner.category",
        "dunning_scenario_partner_category_rel",
        "scenario_id",
        "category_id",
        string="Customer Categories",
        help="Customers with one of these tags follow this scenario, unless "
        "their form names another one.",
    )
    level_ids = fields.One2many("dunning.level", "scenario_id", string="Levels", copy=True)
    level_count = fields.Integer(compute="_compute_level_count")
    debtor_type = fields.Selection(
        [("business", "Business"), ("consumer", "Consumer"), ("public", "Public buyer")],
        required=True,
        default="business",
        tracking=True,
        help="Decides which late-payment rules apply: business debtors owe penalties "
        "and the flat indemnity, consumers legal interest after a formal notice, "
        "public buyers moratory interest.",
    )
    min_amount = fields.Monetary(
        string="Minimum Amount",
        currency_field="currency_id",
        help="Invoices whose amount left to pay is below this amount are not reminded.",
    )
    min_interval_days = fields.Integer(
        string="Minimum Days Between Reminders",
        default=7,
        help="An invoice is never reminded twice within this number of days.",
    )
    auto_send = fields.Boolean(
        string="Send Automatically",
        tracking=True,
        help="Checked: the daily run sends the reminders. Unchecked: they wait in "
        "the 'To remind' list for an accountant to check them.",
    )
    thank_you = fields.Boolean(
        string="Thank-You Email",
        help="When an invoice that was reminded is fully paid, send one thank-you email "
        "to the customer.",
    )
    thank_you_template_id = fields.Many2one(
        "mail.template",
        string="Thank-You Template",
        domain="[('model', '=', 'account.move')]",
        default=lambda self: self.env.ref(
            "dunning_scenario.mail_template_dunning_thank_you", raise_if_not_found=False
        ),
    )
    note = fields.Html()

    _sql_constraints = [
        (
            "min_interval_positive",
            "CHECK(min_interval_days >= 0)",
            "The minimum number of days between reminders cannot be negative.",
        ),
    ]

    @api.depends("level_ids")
    def _compute_level_count(self):
        for scenario in self:
            scenario.level_count = len(scenario.level_ids)

    def _get_sorted_levels(self):
        """Levels in the order they are reached."""
        self.ensure_one()
        return self.level_ids.sorted(lambda level: (level.sequence, level.delay_days, level.id))

    def write(self, vals):
        companies = self.company_id
        res = super().write(vals)
        if SCHEDULE_FIELDS & set(vals):
            self.env["account.move"]._dunning_reset_schedule(companies | self.company_id)
        return res
