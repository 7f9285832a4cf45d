# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.tools import SQL


class DunningDsoReport(models.Model):
    """Days sales outstanding per company and month, by the count-back method.

    Starting from the receivables balance at the end of the month, take away
    the month's sales (invoices minus credit notes, taxes included), then the
    previous month's, and so on: each month whose sales are fully taken away adds
    its number of days, the month where the balance runs out adds its days x the
    part of its sales still needed. The current month counts its days up to today.
    """

    _name = "dunning.dso.report"
    _inherit = ["dunning.report.mixin"]
    _description = "Days Sales Outstanding"
    _auto = False
    _rec_name = "date"
    _order = "date desc, company_id"
    _depends = {
        "account.move": ["move_type", "state", "invoice_date", "amount_total_signed"],
        "account.move.line": ["account_id", "parent_state", "date", "balance", "company_id"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    date = fields.Date(string="Month", readonly=True)
    receivable = fields.Monetary(
        string="Receivables at Month End",
        readonly=True,
        aggregator="sum",
        help="Balance of the receivable accounts at the end of the month (today for the "
        "current month).",
    )
    sales = fields.Monetary(
        readonly=True,
        help="Customer invoices minus credit notes of the month, taxes included.",
    )
    dso = fields.Float(
        string="DSO (days)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days sales outstanding, count-back method: from the receivables at the end "
        "of the month, take away the month's sales, then the previous month's, and so on; "
        "each month fully taken away adds its days, the month where the balance runs out "
        "adds its days x (balance left / its sales).",
    )

    @property
    def _table_query(self):
        self._dunning_no_jit()
        today = self.env["account.move"]._dunning_today()
        return SQL(
            """
            WITH movement AS (
                SELECT line.company_id, date_trunc('month', line.date)::date AS month,
                       SUM(line.balance) AS amount
                  FROM account_move_line line
                  JOIN account_account account ON account.id = line.account_id
                 WHERE account.account_type = 'asset_receivable'
                   AND line.parent_state = 'posted'
                   AND line.date <= %(today)s
                 GROUP BY 1, 2
            ),
            sale AS (
                SELECT m.company_id, date_trunc('month', m.invoice_date)::date AS month,
                       SUM(m.amount_total_signed) AS amount
                  FROM account_move m
                 WHERE m.move_type IN ('out_invoice', 'out_refund')
                   AND m.state = 'posted'
                   AND m.invoice_date <= %(today)s
                 GROUP BY 1, 2
            ),
            first_month AS (
                SELECT company_id, MIN(month) AS month
                  FROM (SELECT company_id, month FROM movement
                        UNION ALL SELECT company_id, month FROM sale) any_month
                 GROUP BY company_id
            ),
            series AS (
                SELECT months.company_id, months.month,
                       SUM(COALESCE(movement.amount, 0))
                           OVER (PARTITION BY months.company_id ORDER BY months.month)
                           AS receivable,
                       COALESCE(sale.amount, 0) AS sales,
                       LEAST((months.month + INTERVAL '1 month')::date,
                             %(today)s::date + 1) - months.month AS days
                  FROM (
                        SELECT first_month.company_id, step.day::date AS month
                          FROM first_month,
                               generate_series(first_month.month,
                                               date_trunc('month', %(today)s::date),
                                               INTERVAL '1 month') AS step (day)
                       ) months
             LEFT JOIN movement ON movement.company_id = months.company_id
                               AND movement.month = months.month
             LEFT JOIN sale ON sale.company_id = months.company_id
                           AND sale.month = months.month
            ),
            count_back AS (
                SELECT this.company_id, this.month, this.receivable,
                       earlier.sales, earlier.days,
                       COALESCE(SUM(earlier.sales) OVER (
                           PARTITION BY this.company_id, this.month
                           ORDER BY earlier.month DESC
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS later_sales
                  FROM series this
                  JOIN series earlier ON earlier.company_id = this.company_id
                                     AND earlier.month <= this.month
            )
            SELECT (series.company_id * 100000
                    + EXTRACT(YEAR FROM series.month) * 12
                    + EXTRACT(MONTH FROM series.month))::int AS id,
                   series.company_id,
                   company.currency_id,
                   series.month AS date,
                   series.receivable,
                   series.sales,
                   ROUND(SUM(CASE
                       WHEN count_back.receivable <= count_back.later_sales THEN 0
                       WHEN count_back.receivable >= count_back.later_sales + count_back.sales
                           THEN count_back.days
                       ELSE count_back.days * (count_back.receivable - count_back.later_sales)
                            / count_back.sales
                   END), 1)::float AS dso
              FROM series
              JOIN res_company company ON company.id = series.company_id
              JOIN count_back ON count_back.company_id = series.company_id
                             AND count_back.month = series.month
             GROUP BY series.company_id, company.currency_id, series.month,
                      series.receivable, series.sales
            """,
            today=today,
        )
