# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.tools import SQL

from ..models.dunning_sending import CHANNEL_BITS

CHANNELS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("letter", "Letter"),
    ("call", "Phone Call"),
    ("manual", "Marked as reminded"),
]


SHARE_HELP = (
    "Counts only what can be known: a reminder sent fewer days ago than the "
    "share's period, its invoice still unpaid, is left out."
)


class DunningEffectivenessReport(models.Model):
    """Effectiveness of the reminders: one row per invoice reminded by a sent
    reminder and per channel that reached the customer (a reminder sent by email
    and letter counts under each of the two channels)."""

    _name = "dunning.effectiveness.report"
    _inherit = ["dunning.report.mixin"]
    _description = "Reminder Effectiveness"
    _auto = False
    _rec_name = "reminder_id"
    _order = "date desc, reminder_id"
    _depends = {
        "dunning.reminder": [
            "state",
            "date",
            "level_id",
            "scenario_id",
            "partner_id",
            "company_id",
            "dunning_channels_done",
        ],
        "dunning.reminder.line": [
            "kind",
            "move_id",
            "amount_residual_company",
            "reminder_id",
            "move_paid_date",
        ],
    }
    # A reminder sent fewer than N days ago, its invoice not yet paid, cannot
    # say whether it will be paid within N days: it counts in neither side of
    # the "within N days" shares (its amount is not in amount_observed_N).
    _dunning_ratio_fields = {
        f"amount_share_{days}": (f"amount_paid_{days}", f"amount_observed_{days}", 100)
        for days in (7, 15, 30)
    }

    reminder_id = fields.Many2one("dunning.reminder", string="Reminder", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    scenario_id = fields.Many2one("dunning.scenario", string="Scenario", readonly=True)
    level_id = fields.Many2one("dunning.level", string="Level", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    date = fields.Date(string="Reminder Date", readonly=True)
    reminder_count = fields.Integer(string="Reminders Sent", readonly=True)
    invoice_count = fields.Integer(string="Reminded Invoices", readonly=True)
    amount_reminded = fields.Monetary(readonly=True)
    amount_paid_7 = fields.Monetary(string="Paid within 7 Days", readonly=True)
    amount_paid_15 = fields.Monetary(string="Paid within 15 Days", readonly=True)
    amount_paid_30 = fields.Monetary(string="Paid within 30 Days", readonly=True)
    amount_observed_7 = fields.Monetary(string="Reminded 7 Days Ago or More", readonly=True)
    amount_observed_15 = fields.Monetary(string="Reminded 15 Days Ago or More", readonly=True)
    amount_observed_30 = fields.Monetary(string="Reminded 30 Days Ago or More", readonly=True)
    share_paid_7 = fields.Float(
        string="% Invoices Paid within 7 Days",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help=SHARE_HELP,
    )
    share_paid_15 = fields.Float(
        string="% Invoices Paid within 15 Days",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help=SHARE_HELP,
    )
    share_paid_30 = fields.Float(
        string="% Invoices Paid within 30 Days",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help=SHARE_HELP,
    )
    amount_share_7 = fields.Float(
        string="% Amount Paid within 7 Days",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help=SHARE_HELP,
    )
    amount_share_15 = fields.Float(
        string="% Amount Paid within 15 Days",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help=SHARE_HELP,
    )
    amount_share_30 = fields.Float(
        string="% Amount Paid within 30 Days",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help=SHARE_HELP,
    )
    days_to_payment = fields.Float(
        string="Days from First Reminder to Payment",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="For paid invoices, days between their first reminder and their payment; "
        "counted on the row of that first reminder only.",
    )

    @property
    def _table_query(self):
        self._dunning_no_jit()

        today = self.env["account.move"]._dunning_today()

        def paid_within(days, then, otherwise):
            """``then`` if paid within ``days`` of the reminder, ``otherwise``
            if not, NULL if it cannot be known yet (reminded fewer than
            ``days`` days ago, not paid yet): averages leave it out."""
            return SQL(
                """CASE WHEN line.move_paid_date <= r.date + %(days)s THEN %(then)s
                        WHEN r.date + %(days)s > %(today)s THEN NULL
                        ELSE %(otherwise)s END""",
                days=days,
                then=then,
                otherwise=otherwise,
                today=today,
            )

        def observed(days):
            return SQL(
                """CASE WHEN line.move_paid_date <= r.date + %(days)s
                          OR r.date + %(days)s <= %(today)s THEN %(amount)s
                        ELSE 0 END""",
                days=days,
                today=today,
                amount=SQL("line.amount_residual_company"),
            )

        amount = SQL("line.amount_residual_company")
        channels = SQL(", ").join(
            SQL("(%s, %s, %s)", sequence, name, CHANNEL_BITS[name])
            for sequence, (name, __) in enumerate(CHANNELS, start=1)
        )
        # Narrow tables only: the invoice's payment date is kept on its reminder
        # lines (move_paid_date, set while it is paid in full) and the channels
        # that reached the customer on the reminder (dunning_channels_done, one
        # bit each), so no join with the invoices nor per-row status tests.
        # No window function nor aggregate at the top of the query: PostgreSQL
        # can then merge it into the ORM's and drop the LEFT JOINs whose columns
        # a read_group does not ask for (the first line of each reminder, the
        # first reminder of each invoice: one aggregate over every line each).
        return SQL(
            """
            SELECT line.id * 8 + channel.sequence AS id,
                   r.id AS reminder_id,
                   line.move_id,
                   r.partner_id,
                   r.company_id,
                   company.currency_id,
                   r.scenario_id,
                   r.level_id,
                   channel.name AS channel,
                   r.date,
                   CASE WHEN line.id = first_line.id THEN 1 ELSE 0 END AS reminder_count,
                   1 AS invoice_count,
                   %(amount)s AS amount_reminded,
                   %(amount_7)s AS amount_paid_7,
                   %(amount_15)s AS amount_paid_15,
                   %(amount_30)s AS amount_paid_30,
                   %(observed_7)s AS amount_observed_7,
                   %(observed_15)s AS amount_observed_15,
                   %(observed_30)s AS amount_observed_30,
                   %(share_7)s AS share_paid_7,
                   %(share_15)s AS share_paid_15,
                   %(share_30)s AS share_paid_30,
                   %(share_7)s AS amount_share_7,
                   %(share_15)s AS amount_share_15,
                   %(share_30)s AS amount_share_30,
                   CASE WHEN r.date = first_sent.date
                        THEN (line.move_paid_date - first_sent.date)::float END
                       AS days_to_payment
              FROM dunning_reminder_line line
              JOIN dunning_reminder r ON r.id = line.reminder_id
              JOIN (VALUES %(channels)s) channel (sequence, name, bit)
                ON r.dunning_channels_done & channel.bit <> 0
         LEFT JOIN res_company company ON company.id = r.company_id
         LEFT JOIN (
                    SELECT reminder_id, MIN(id) AS id
                      FROM dunning_reminder_line
                     WHERE kind = 'level'
                     GROUP BY reminder_id
                   ) first_line ON first_line.reminder_id = line.reminder_id
         LEFT JOIN (
                    SELECT first_line.move_id, MIN(first_reminder.date) AS date
                      FROM dunning_reminder_line first_line
                      JOIN dunning_reminder first_reminder
                        ON first_reminder.id = first_line.reminder_id
                     WHERE first_line.kind = 'level' AND first_reminder.state = 'sent'
                     GROUP BY first_line.move_id
                   ) first_sent ON first_sent.move_id = line.move_id
             WHERE line.kind = 'level' AND r.state = 'sent'
            """,
            amount=amount,
            amount_7=paid_within(7, amount, 0),
            amount_15=paid_within(15, amount, 0),
            amount_30=paid_within(30, amount, 0),
            observed_7=observed(7),
            observed_15=observed(15),
            observed_30=observed(30),
            share_7=paid_within(7, 100.0, 0.0),
            share_15=paid_within(15, 100.0, 0.0),
            share_30=paid_within(30, 100.0, 0.0),
            channels=channels,
        )

    def _read_group_select(self, aggregate_spec, query):
        # Reminders sent, grouped: each reminder once in a group, whatever the
        # number of its invoices and channels there (not the sum of the rows,
        # which needs the first line of every reminder).
        if aggregate_spec == "reminder_count:sum":
            return SQL("COUNT(DISTINCT %s)", self._field_to_sql(self._table, "reminder_id", query))
        return super()._read_group_select(aggregate_spec, query)
