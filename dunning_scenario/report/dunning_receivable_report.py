# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.tools import SQL

from ..models.dunning_invoice_plan import DUNNING_STATES as PLAN_STATES
from ..models.dunning_invoice_plan import PAID_STATES
from .dunning_report_mixin import PROFILE_DEPENDS

AGING_BUCKETS = [
    ("not_due", "Not yet due"),
    ("1_30", "1-30 days"),
    ("31_60", "31-60 days"),
    ("61_90", "61-90 days"),
    ("91_120", "91-120 days"),
    ("120_plus", "Over 120 days"),
]

# The reminder statuses of an open invoice (all but "paid").
DUNNING_STATES = [state for state in PLAN_STATES if state[0] != "paid"]


class DunningReceivableReport(models.Model):
    """Receivables dashboard: one row per open customer invoice, in company
    currency, aged on today's date (read at each query, so the buckets move with
    the days without any stored value to refresh)."""

    _name = "dunning.receivable.report"
    _inherit = ["dunning.report.mixin"]
    _description = "Receivables Dashboard"
    _auto = False
    _rec_name = "move_id"
    _order = "date_due, move_id"
    _depends = {
        "account.move": [
            "move_type",
            "state",
            "payment_state",
            "amount_residual",
            "amount_residual_signed",
            "invoice_date",
            "invoice_date_due",
            "commercial_partner_id",
            "company_id",
            "dunning_level_id",
            "dunning_plan_id",
        ],
        "dunning.invoice.plan": ["state"],
        **PROFILE_DEPENDS,
    }

    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    category_id = fields.Many2one(
        "res.partner.category",
        string="Customer Category",
        readonly=True,
        help="The customer's category linked to its scenario (the first one in scenario "
        "order); empty when none of its categories is linked to a scenario.",
    )
    scenario_id = fields.Many2one("dunning.scenario", string="Scenario", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    level_id = fields.Many2one("dunning.level", string="Reminder Level", readonly=True)
    dunning_state = fields.Selection(DUNNING_STATES, string="Reminder Status", readonly=True)
    invoice_date = fields.Date(readonly=True)
    date_due = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    aging = fields.Selection(AGING_BUCKETS, readonly=True)
    invoice_count = fields.Integer(string="Invoices", readonly=True)
    amount_residual = fields.Monetary(string="Outstanding", readonly=True)
    amount_overdue = fields.Monetary(string="Overdue", readonly=True)
    amount_not_due = fields.Monetary(string="Not Yet Due", readonly=True)
    amount_1_30 = fields.Monetary(string="1-30 Days", readonly=True)
    amount_31_60 = fields.Monetary(string="31-60 Days", readonly=True)
    amount_61_90 = fields.Monetary(string="61-90 Days", readonly=True)
    amount_91_120 = fields.Monetary(string="91-120 Days", readonly=True)
    amount_120_plus = fields.Monetary(string="Over 120 Days", readonly=True)

    @property
    def _table_query(self):
        self._dunning_no_jit()
        today = self.env["account.move"]._dunning_today()
        overdue = SQL("(%s::date - m.invoice_date_due)", today)

        def bucket(low, high):
            bound = SQL("AND %s <= %s", overdue, high) if high else SQL()
            return SQL(
                "CASE WHEN %s >= %s %s THEN m.amount_residual_signed ELSE 0 END",
                overdue,
                low,
                bound,
            )

        profile_columns, profile_joins = self._dunning_profile_sql()
        return SQL(
            """
            SELECT m.id AS id,
                   m.id AS move_id,
                   m.commercial_partner_id AS partner_id,
                   m.company_id,
                   company.currency_id,
                   %(profile_columns)s,
                   m.dunning_level_id AS level_id,
                   COALESCE(plan.state, 'none') AS dunning_state,
                   m.invoice_date,
                   m.invoice_date_due AS date_due,
                   GREATEST(COALESCE(%(overdue)s, 0), 0) AS days_overdue,
                   CASE WHEN COALESCE(%(overdue)s, 0) <= 0 THEN 'not_due'
                        WHEN %(overdue)s <= 30 THEN '1_30'
                        WHEN %(overdue)s <= 60 THEN '31_60'
                        WHEN %(overdue)s <= 90 THEN '61_90'
                        WHEN %(overdue)s <= 120 THEN '91_120'
                        ELSE '120_plus' END AS aging,
                   1 AS invoice_count,
                   m.amount_residual_signed AS amount_residual,
                   %(b_overdue)s AS amount_overdue,
                   CASE WHEN COALESCE(%(overdue)s, 0) <= 0
                        THEN m.amount_residual_signed ELSE 0 END AS amount_not_due,
                   %(b_1_30)s AS amount_1_30,
                   %(b_31_60)s AS amount_31_60,
                   %(b_61_90)s AS amount_61_90,
                   %(b_91_120)s AS amount_91_120,
                   %(b_120)s AS amount_120_plus
              FROM account_move m
         LEFT JOIN res_company company ON company.id = m.company_id
         LEFT JOIN dunning_invoice_plan plan ON plan.id = m.dunning_plan_id
                   %(profile_joins)s
             WHERE m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND m.payment_state NOT IN %(paid_states)s
               AND m.amount_residual > 0
            """,
            paid_states=PAID_STATES,
            profile_columns=profile_columns,
            profile_joins=profile_joins,
            overdue=overdue,
            b_overdue=bucket(1, None),
            b_1_30=bucket(1, 30),
            b_31_60=bucket(31, 60),
            b_61_90=bucket(61, 90),
            b_91_120=bucket(91, 120),
            b_120=bucket(121, None),
        )

    def _read_group_orderby(self, order, groupby_terms, query):
        # The aging buckets in the order of the days (not yet due first), not
        # in the alphabetical order of their codes.
        if "aging" in groupby_terms:
            ordinal = SQL(
                "CASE %s %s END",
                groupby_terms["aging"],
                SQL(" ").join(
                    SQL("WHEN %s THEN %s", code, rank)
                    for rank, (code, __) in enumerate(AGING_BUCKETS)
                ),
            )
            groupby_terms = dict(groupby_terms, aging=ordinal)
        return super()._read_group_orderby(order, groupby_terms, query)
