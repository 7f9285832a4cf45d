# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.tools import SQL

from .dunning_report_mixin import PROFILE_DEPENDS


class DunningPaymentDelayReport(models.Model):
    """Payment delays: one row per paid customer invoice, with the days late at
    payment stored on the invoice when it was paid."""

    _name = "dunning.payment.delay.report"
    _inherit = ["dunning.report.mixin"]
    _description = "Payment Delay Analysis"
    _auto = False
    _rec_name = "move_id"
    _order = "date desc, move_id"
    _depends = {
        "account.move": [
            "move_type",
            "state",
            "payment_state",
            "amount_total_signed",
            "invoice_date_due",
            "commercial_partner_id",
            "company_id",
            "dunning_paid_date",
            "dunning_days_late_paid",
        ],
        **PROFILE_DEPENDS,
    }
    _dunning_ratio_fields = {"days_late_weighted": ("days_late_amount", "amount_total", 1)}

    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    category_id = fields.Many2one("res.partner.category", string="Customer Category", readonly=True)
    scenario_id = fields.Many2one("dunning.scenario", string="Scenario", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    date_due = fields.Date(string="Due Date", readonly=True)
    date = fields.Date(string="Paid On", readonly=True)
    invoice_count = fields.Integer(string="Invoices", readonly=True)
    late_count = fields.Integer(string="Paid Late", readonly=True)
    amount_total = fields.Monetary(string="Amount", readonly=True)
    days_late = fields.Float(
        string="Average Days Late",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days between the due date and the payment, 0 when paid on time; averaged "
        "over the invoices.",
    )
    days_late_weighted = fields.Float(
        string="Weighted Days Late",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days late averaged in proportion to the invoices' amounts: sum of (days late "
        "x amount) / sum of amounts.",
    )
    days_late_amount = fields.Float(string="Days Late x Amount", readonly=True)

    @property
    def _table_query(self):
        self._dunning_no_jit()
        profile_columns, profile_joins = self._dunning_profile_sql()
        return SQL(
            """
            SELECT m.id AS id,
                   m.id AS move_id,
                   m.commercial_partner_id AS partner_id,
                   m.company_id,
                   company.currency_id,
                   %(profile_columns)s,
                   m.invoice_date_due AS date_due,
                   m.dunning_paid_date AS date,
                   1 AS invoice_count,
                   CASE WHEN m.dunning_days_late_paid > 0 THEN 1 ELSE 0 END AS late_count,
                   m.amount_total_signed AS amount_total,
                   COALESCE(m.dunning_days_late_paid, 0)::float AS days_late,
                   COALESCE(m.dunning_days_late_paid, 0)::float AS days_late_weighted,
                   COALESCE(m.dunning_days_late_paid, 0) * m.amount_total_signed
                       AS days_late_amount
              FROM account_move m
         LEFT JOIN res_company company ON company.id = m.company_id
                   %(profile_joins)s
             WHERE m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND m.payment_state IN ('paid', 'in_payment')
               AND m.dunning_paid_date IS NOT NULL
            """,
            profile_columns=profile_columns,
            profile_joins=profile_joins,
        )
