# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A reminder line no longer stores its company, its company's currency, its
author and dates (they are its reminder's): drop those columns, and with them
the foreign keys each line written had to check."""

from odoo.tools import SQL

OLD_COLUMNS = (
    "company_id",
    "company_currency_id",
    "create_uid",
    "create_date",
    "write_uid",
    "write_date",
)


def migrate(cr, version):
    if not version:
        return
    for column in OLD_COLUMNS:
        cr.execute(
            SQL(
                "ALTER TABLE dunning_reminder_line DROP COLUMN IF EXISTS %s",
                SQL.identifier(column),
            )
        )
