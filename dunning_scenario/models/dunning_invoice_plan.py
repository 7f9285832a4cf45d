# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Where a customer invoice stands in its reminders, and when it is examined next.

These values change every day for every open invoice (the daily run examines
them all), so they live in a narrow table of their own rather than in
``account_move``: rewriting an invoice row means a new version of a wide row
and an entry in each of its thirty-odd indexes, rewriting a plan row a few
bytes. The invoice shows them through related fields (``dunning_state``,
``dunning_next_date``...), which can be searched, grouped and sorted on as if
they were its own.
"""

from odoo import api, fields, models
from odoo.tools import SQL

from .dunning_writer import NULL, copy_text

PAID_STATES = ("paid", "in_payment", "reversed")

DUNNING_STATES = [
    ("none", "Not reminded"),
    ("to_remind", "To remind"),
    ("reminded", "Reminded"),
    ("paused", "Paused"),
    ("litigation", "Litigation"),
    ("paid", "Paid"),
]

# Per cent of a page the plans fill when written, the rest kept for their
# next versions (see init).
PLAN_FILLFACTOR = 50

# Invoice field -> plan field, for the writes that go through the invoice.
PLAN_FIELDS = {
    "dunning_checked_date": "checked_date",
    "dunning_next_date": "next_date",
    "dunning_next_level_id": "next_level_id",
    "dunning_skip_reason": "skip_reason",
}


class DunningInvoicePlan(models.Model):
    _name = "dunning.invoice.plan"
    _description = "Invoice Reminder Plan"
    _rec_name = "move_id"
    # Bookkeeping of the daily run: who wrote it last is the run itself.
    _log_access = False

    # (indexed by its UNIQUE constraint)
    move_id = fields.Many2one("account.move", string="Invoice", required=True, ondelete="cascade")
    checked_date = fields.Date(
        string="Reminder Check Date",
        help="Technical: day this invoice was last examined by the dunning run.",
    )
    # Not indexed (nor the status): every query reads the plans through their
    # invoices, and an index would be written at each change (see init).
    next_date = fields.Date(string="Next Reminder")
    next_level_id = fields.Many2one("dunning.level", string="Next Reminder Level")
    skip_reason = fields.Char(string="Not Reminded Because")
    state = fields.Selection(
        DUNNING_STATES,
        string="Reminder Status",
        compute="_compute_state",
        store=True,
    )

    _sql_constraints = [
        ("move_unique", "UNIQUE(move_id)", "An invoice has one reminder plan."),
    ]

    def init(self):
        # Every open invoice's plan is rewritten each day it is examined: with
        # room left in its page and no index on what changes (the status and
        # dates are not indexed: the lists read the plans through their
        # invoices), the new version stays in the page and no index entry is
        # written (a "HOT" update).
        self.env.cr.execute(
            "ALTER TABLE dunning_invoice_plan SET (fillfactor = %s)", [PLAN_FILLFACTOR]
        )

    @api.depends(
        "move_id.move_type",
        "move_id.state",
        "move_id.payment_state",
        "move_id.dunning_level_id.is_litigation",
        "move_id.dunning_pause_reason",
        "move_id.dunning_reminder_line_ids.kind",
        "move_id.dunning_reminder_line_ids.reminder_id.state",
    )
    def _compute_state(self):
        for plan in self:
            move = plan.move_id
            if move.payment_state in PAID_STATES:
                state = "paid"
            elif move.dunning_level_id.is_litigation:
                state = "litigation"
            elif move.dunning_pause_reason:
                state = "paused"
            elif any(
                line.kind == "level" and line.reminder_id.state == "draft"
                for line in move.dunning_reminder_line_ids
            ):
                state = "to_remind"
            elif move.dunning_level_id:
                state = "reminded"
            else:
                state = "none"
            plan.state = state

    @api.model
    def _dunning_create_missing(self, move_ids):
        """Give a plan to the customer invoices among ``move_ids`` that have
        none (one INSERT and one UPDATE for all), its status computed the way
        _compute_state does for an invoice never reminded.

        :return: the number of plans created
        """
        if not move_ids:
            return 0
        self.env["account.move"].flush_model(
            ["move_type", "payment_state", "dunning_plan_id", "dunning_level_id"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                WITH missing AS (
                    SELECT m.id, m.payment_state, m.dunning_level_id, m.dunning_pause_reason
                      FROM account_move m
                     WHERE m.id = ANY(%(ids)s)
                       AND m.move_type = 'out_invoice'
                       AND m.dunning_plan_id IS NULL
                       FOR NO KEY UPDATE
                ), created AS (
                    INSERT INTO dunning_invoice_plan (move_id, state)
                    SELECT missing.id,
                           CASE WHEN missing.payment_state IN %(paid)s THEN 'paid'
                                WHEN level.is_litigation THEN 'litigation'
                                WHEN missing.dunning_pause_reason IS NOT NULL THEN 'paused'
                                WHEN EXISTS (
                                    SELECT 1
                                      FROM dunning_reminder_line line
                                      JOIN dunning_reminder r ON r.id = line.reminder_id
                                     WHERE line.move_id = missing.id AND line.kind = 'level'
                                       AND r.state = 'draft') THEN 'to_remind'
                                WHEN missing.dunning_level_id IS NOT NULL THEN 'reminded'
                                ELSE 'none' END
                      FROM missing
                 LEFT JOIN dunning_level level ON level.id = missing.dunning_level_id
                    RETURNING id, move_id
                )
                UPDATE account_move m
                   SET dunning_plan_id = created.id
                  FROM created
                 WHERE m.id = created.move_id
             RETURNING m.id
                """,
                ids=list(move_ids),
                paid=PAID_STATES,
            )
        )
        if rows:
            self.env["account.move"].invalidate_model(["dunning_plan_id"])
        return len(rows)

    @api.model
    def _dunning_decision_statements(self, plans, today):
        """The statements writing what the run decided on the examined invoices'
        plans (models/dunning_invoice_plan.py: a narrow table, the invoices' own
        rows are not rewritten): checked today, the next examination, why not
        reminded; the reminder status of those reminded (a draft reminder now
        lists them: "To remind", as the plan's _compute_state says). The
        decisions go by COPY to a temporary table, then one UPDATE reads it.

        :param plans: {move id: (next date, next level id, skip reason, reminded)}
        :return: (statement, COPY text or None) pairs, see BackgroundWriter.submit
        """
        if not plans:
            return []
        rows = []
        for move_id, (next_date, next_level_id, reason, reminded) in sorted(plans.items()):
            reason = copy_text(reason)
            rows.append(f"{move_id}\t{next_date}\t{next_level_id}\t{reason}\t{reminded}\n")
        # Only invoices "not reminded" or "reminded" are examined (neither paid,
        # paused nor in litigation, in this transaction's snapshot; a change made
        # meanwhile rewrites the plan's status, hence a serialization failure
        # here, and the batch is run again): those reminded are now "to remind".
        # Each plan is found through its invoice's unique index and its decision
        # through the temporary table's key, whatever the tables' statistics (a
        # join would read all the plans for a few hundred decisions).
        update = SQL(
            """
            UPDATE dunning_invoice_plan p
               SET checked_date = %s,
                   (next_date, next_level_id, skip_reason, state) = (
                       SELECT v.next_date, v.next_level_id, v.reason,
                              CASE WHEN v.reminded THEN 'to_remind' ELSE p.state END
                         FROM dunning_plan_decision v
                        WHERE v.move_id = p.move_id)
             WHERE p.move_id = ANY(ARRAY(SELECT move_id FROM dunning_plan_decision))
            """,
            today,
        )
        return [
            (
                """
                CREATE TEMPORARY TABLE IF NOT EXISTS dunning_plan_decision (
                    move_id int4 PRIMARY KEY,
                    next_date date,
                    next_level_id int4,
                    reason varchar,
                    reminded boolean
                ) ON COMMIT DELETE ROWS
                """,
                None,
            ),
            (f"COPY dunning_plan_decision FROM STDIN (NULL '{NULL}')", "".join(rows)),
            (self.env.cr.mogrify(update.code, update.params).decode(), None),
            # (several batches may run in one transaction)
            ("TRUNCATE dunning_plan_decision", None),
        ]
