# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


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
