# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The invoices' planning and reminder status move from account_move to their
plans (models/dunning_invoice_plan.py): copy them, link each invoice to its
plan, and drop the old columns (and their indexes, which every update of an
invoice kept paying for)."""

from odoo.tools import SQL

OLD_COLUMNS = (
    "dunning_state",
    "dunning_next_date",
    "dunning_checked_date",
    "dunning_next_level_id",
    "dunning_skip_reason",
)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_name = 'account_move' AND column_name IN %s
        """,
        [OLD_COLUMNS],
    )
    if len(cr.fetchall()) != len(OLD_COLUMNS):
        return
    cr.execute(
        """
        INSERT INTO dunning_invoice_plan
               (move_id, checked_date, next_date, next_level_id, skip_reason, state)
        SELECT m.id, m.dunning_checked_date, m.dunning_next_date,
               level.id, m.dunning_skip_reason, COALESCE(m.dunning_state, 'none')
          FROM account_move m
     LEFT JOIN dunning_level level ON level.id = m.dunning_next_level_id
         WHERE m.move_type = 'out_invoice'
           AND NOT EXISTS (SELECT 1 FROM dunning_invoice_plan p WHERE p.move_id = m.id)
        """
    )
    cr.execute(
        """
        UPDATE account_move m
           SET dunning_plan_id = p.id
          FROM dunning_invoice_plan p
         WHERE p.move_id = m.id AND m.dunning_plan_id IS DISTINCT FROM p.id
        """
    )
    for column in OLD_COLUMNS:
        cr.execute(SQL("ALTER TABLE account_move DROP COLUMN %s", SQL.identifier(column)))
