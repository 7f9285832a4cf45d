# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.tools import SQL

# The installments of the customer invoices (their payment-term lines), each
# with what the late-payment interest reads of it: the daily run reads those of
# thousands of invoices per batch from this small index alone, instead of every
# line of every invoice (account.move._dunning_read_installments).
INSTALLMENT_INDEX = "account_move_line_dunning_installment_index"


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # Set on the lines of penalty invoices: which late invoice each line is for,
    # so that what was invoiced is known from the accounting itself (and never
    # invoiced twice, nor claimed again once invoiced).
    dunning_penalty_source_id = fields.Many2one(
        "account.move",
        string="Penalties Of",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="Invoice paid late whose penalties this line invoices.",
    )
    dunning_penalty_kind = fields.Selection(
        [("interest", "Late-payment interest"), ("indemnity", "Flat recovery indemnity")],
        string="Penalty",
        copy=False,
        readonly=True,
    )

    def init(self):
        res = super().init()
        self.env.cr.execute(
            SQL(
                """
                CREATE INDEX IF NOT EXISTS %s ON account_move_line (move_id)
                INCLUDE (id, date_maturity, date, amount_currency)
                WHERE display_type = 'payment_term' AND amount_currency > 0
                """,
                SQL.identifier(INSTALLMENT_INDEX),
            )
        )
        return res
