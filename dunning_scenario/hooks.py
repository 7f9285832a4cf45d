# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Install hooks.

The reminder columns of ``account_move`` are created here with plain SQL, so
that installing the addon on a database with millions of invoices does not make
the ORM compute every row: the defaults below are already the right values.
"""

from odoo.tools import SQL

from .models.account_move_line import INSTALLMENT_INDEX

# Column name, then its type and default (SQL code, never user input).
ACCOUNT_MOVE_COLUMNS = [
    ("dunning_level_id", SQL("int4")),
    ("dunning_plan_id", SQL("int4")),
    ("dunning_last_date", SQL("date")),
    ("dunning_count", SQL("int4 DEFAULT 0")),
    ("dunning_paused_until", SQL("date")),
    ("dunning_pause_reason", SQL("varchar")),
    ("dunning_excluded", SQL("boolean DEFAULT false")),
    ("dunning_formal_notice_date", SQL("date")),
    ("dunning_prescription_date", SQL("date")),
    ("dunning_thanked", SQL("boolean DEFAULT false")),
    ("dunning_paid_date", SQL("date")),
    ("dunning_days_late_paid", SQL("int4")),
]


def pre_init_hook(env):
    cr = env.cr
    for column, definition in ACCOUNT_MOVE_COLUMNS:
        cr.execute(
            SQL(
                "ALTER TABLE account_move ADD COLUMN IF NOT EXISTS %s %s",
                SQL.identifier(column),
                definition,
            )
        )
    # Each customer invoice gets its reminder plan (models/dunning_invoice_plan.py),
    # with the id of the invoice: the table is made here as the ORM would make it,
    # the ORM then adds its constraints and indexes (the fill factor: see
    # DunningInvoicePlan.init). Only paid invoices differ
    # from the status "not reminded".
    cr.execute(
        """
        CREATE TABLE dunning_invoice_plan (
            id SERIAL NOT NULL PRIMARY KEY,
            move_id int4 NOT NULL,
            checked_date date,
            next_date date,
            next_level_id int4,
            skip_reason varchar,
            state varchar
        ) WITH (fillfactor = 50);
        INSERT INTO dunning_invoice_plan (id, move_id, state)
        SELECT id, id,
               CASE WHEN payment_state IN ('paid', 'in_payment', 'reversed') THEN 'paid'
                    ELSE 'none' END
          FROM account_move
         WHERE move_type = 'out_invoice'
         ORDER BY id;
        SELECT setval('dunning_invoice_plan_id_seq',
                      COALESCE((SELECT MAX(id) FROM dunning_invoice_plan), 0) + 1, false);
        """
    )
    fill_payment_delays(cr)
    # The link to the plan, and the limitation date: no scenario exists before
    # install, and the default scenario (like no scenario at all) follows the
    # business rule: 5 years.
    cr.execute(
        """
        UPDATE account_move
           SET dunning_plan_id = id,
               dunning_prescription_date = (invoice_date_due + INTERVAL '5 years')::date
         WHERE move_type = 'out_invoice'
        """
    )


def uninstall_hook(env):
    # The indexes the addon adds to core columns (models/account_move.py,
    # commercial_partner_id; models/account_move_line.py, the installments):
    # Odoo drops the columns of an uninstalled addon, not the indexes it put on
    # other modules' columns.
    env.cr.execute("DROP INDEX IF EXISTS account_move__commercial_partner_id_index")
    env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(INSTALLMENT_INDEX)))


def fill_payment_delays(cr):
    """Payment delays of the invoices already paid (from then on, they are set
    when an invoice gets paid): the day of the last payment matched with it, and
    the days between its due date and that day (0 when paid in time)."""
    cr.execute(
        """
        UPDATE account_move m
           SET dunning_paid_date = paid.day,
               dunning_days_late_paid = GREATEST(paid.day - m.invoice_date_due, 0)
          FROM (
                SELECT line.move_id, MAX(counterpart.date) AS day
                  FROM account_move_line line
                  JOIN account_partial_reconcile part ON part.debit_move_id = line.id
                  JOIN account_move_line counterpart ON counterpart.id = part.credit_move_id
                 WHERE line.display_type = 'payment_term'
                 GROUP BY line.move_id
               ) paid
         WHERE paid.move_id = m.id
           AND m.move_type = 'out_invoice'
           AND m.payment_state IN ('paid', 'in_payment')
           AND m.invoice_date_due IS NOT NULL
        """
    )
