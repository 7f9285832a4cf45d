# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Install hooks.

The reminder columns of ``account_move`` are created here with plain SQL, so
that installing the addon on a database with millions of invoices does not make
the ORM compute every row: the defaults below are already the right values.
"""

ACCOUNT_MOVE_COLUMNS = [
    ("dunning_level_id", "int4"),
    ("dunning_next_level_id", "int4"),
    ("dunning_last_date", "date"),
    ("dunning_next_date", "date"),
    ("dunning_checked_date", "date"),
    ("dunning_count", "int4 DEFAULT 0"),
    ("dunning_state", "varchar DEFAULT 'none'"),
    ("dunning_paused_until", "date"),
    ("dunning_pause_reason", "varchar"),
    ("dunning_excluded", "boolean DEFAULT false"),
    ("dunning_formal_notice_date", "date"),
    ("dunning_prescription_date", "date"),
    ("dunning_thanked", "boolean DEFAULT false"),
]


def pre_init_hook(env):
    cr = env.cr
    for column, definition in ACCOUNT_MOVE_COLUMNS:
        cr.execute(
            f"ALTER TABLE account_move ADD COLUMN IF NOT EXISTS {column} {definition}"
        )
    # Only paid invoices differ from the column default; one statement fixes them.
    cr.execute(
        """
        UPDATE account_move
           SET dunning_state = 'paid'
         WHERE move_type = 'out_invoice'
           AND payment_state IN ('paid', 'in_payment', 'reversed')
        """
    )
    # Limitation date: no scenario exists before install, and the default
    # scenario (like no scenario at all) follows the business rule: 5 years.
    cr.execute(
        """
        UPDATE account_move
           SET dunning_prescription_date = (invoice_date_due + INTERVAL '5 years')::date
         WHERE move_type = 'out_invoice'
           AND invoice_date_due IS NOT NULL
        """
    )
