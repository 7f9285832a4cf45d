# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""When a customer invoice got paid, and how late: stored once, at payment, for
the payment-delay analysis (the columns are created and filled for invoices
already paid by the pre_init_hook of hooks.py)."""

from odoo import fields, models
from odoo.tools import SQL


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_paid_date = fields.Date(
        string="Paid On",
        copy=False,
        readonly=True,
        help="Date of the last payment (or credit note) that settled this customer invoice.",
    )
    dunning_days_late_paid = fields.Integer(
        string="Days Late at Payment",
        copy=False,
        readonly=True,
        aggregator="avg",
        help="Days between the due date and the day the invoice was settled; 0 when it "
        "was paid on time.",
    )

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        self._dunning_set_payment_delay()
        return res

    def _dunning_set_payment_delay(self):
        """Store the settlement date and the days late of the paid customer
        invoices in ``self`` (one query to find the dates)."""
        invoices = self.filtered(
            lambda m: m.move_type == "out_invoice" and m.payment_state in ("paid", "in_payment")
        )
        if not invoices:
            return
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT line.move_id, MAX(counterpart.date)
                  FROM account_move_line line
                  JOIN account_partial_reconcile part ON part.debit_move_id = line.id
                  JOIN account_move_line counterpart ON counterpart.id = part.credit_move_id
                 WHERE line.move_id = ANY(%s) AND line.display_type = 'payment_term'
                 GROUP BY line.move_id
                """,
                invoices.ids,
            )
        )
        for move_id, day in rows:
            move = invoices.browse(move_id)
            due = move.invoice_date_due
            move._dunning_write(
                {
                    "dunning_paid_date": day,
                    "dunning_days_late_paid": max((day - due).days, 0) if due else 0,
                }
            )
