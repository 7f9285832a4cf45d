# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily run's reading of a batch: its customers' open invoices, credits,
customers and reminder history, each in one query, as plain values (no record
per invoice) that dunning_run_generate plans."""

from dataclasses import dataclass
from datetime import date

from odoo import api, models
from odoo.tools import SQL

from .dunning_penalty_calculator import PenaltyInvoice


@dataclass(slots=True)
class Customer:
    """What the run needs of a customer (a commercial partner)."""

    id: int
    active: bool
    dunning_excluded: bool
    user_id: int | None  # the dunning responsible, else the salesperson
    lang: str | None


@dataclass(slots=True)
class OpenInvoice:
    """An open customer invoice as the run reads it."""

    id: int
    partner_id: int  # commercial partner
    company_id: int
    currency_id: int
    name: str
    invoice_date: date | None
    due: date | None
    date: date
    amount_total: float
    amount_residual: float
    amount_residual_signed: float
    state: str
    excluded: bool
    next_date: date | None
    checked_date: date | None
    level_id: int | None
    last_date: date | None
    count: int
    notice_date: date | None
    notice_ack_date: date | None
    is_penalty_invoice: bool

    def penalty_invoice(self):
        return PenaltyInvoice(
            self.id,
            self.company_id,
            self.currency_id,
            self.partner_id,
            self.invoice_date or self.date,
            bool(self.is_penalty_invoice),
            self.notice_date,
            self.notice_ack_date,
        )


@dataclass(slots=True)
class CreditLine:
    """A receivable line lowering what a customer owes (credit note, payment
    not matched)."""

    id: int
    move_id: int
    partner_id: int
    company_id: int
    currency_id: int
    name: str
    date: date
    amount_currency: float
    amount_residual_currency: float
    amount_residual: float
    is_payment: bool


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    @api.model
    def _dunning_read_open_invoices(self, partner_ids, company_ids):
        """Open invoices of these customers in these companies (record rules
        applied), oldest due first, as OpenInvoice, with their reminder plan
        (models/dunning_invoice_plan.py; made here for an invoice that has none,
        such as one written to the database by an import)."""
        Move = self.env["account.move"]
        query = Move._search(
            Move._get_dunning_open_domain()
            + [("commercial_partner_id", "in", partner_ids), ("company_id", "in", company_ids)],
            order="invoice_date_due, id",
        )
        names = [
            "id",
            "commercial_partner_id",
            "company_id",
            "currency_id",
            "name",
            "invoice_date",
            "invoice_date_due",
            "date",
            "amount_total",
            "amount_residual",
            "amount_residual_signed",
            None,  # the plan's status
            "dunning_excluded",
            None,  # the plan's next date
            None,  # the plan's checked date
            "dunning_level_id",
            "dunning_last_date",
            "dunning_count",
            "dunning_formal_notice_date",
            "dunning_formal_notice_ack_date",
            "dunning_is_penalty_invoice",
        ]
        select = query.select(
            *(SQL.identifier(query.table, name) if name else SQL("NULL") for name in names)
        )
        rows = self.env.execute_query(select)
        # The plans in a query of their own, through their unique index: joined
        # to the invoices, the planner would rather read them all at each batch.
        self.env["dunning.invoice.plan"].flush_model()
        ids = [row[0] for row in rows]
        plans = {
            move_id: (state, next_date, checked_date)
            for move_id, state, next_date, checked_date in self.env.execute_query(
                SQL(
                    "SELECT move_id, state, next_date, checked_date"
                    " FROM dunning_invoice_plan WHERE move_id = ANY(%s)",
                    ids,
                )
            )
        }
        missing = [move_id for move_id in ids if move_id not in plans]
        if missing and self.env["dunning.invoice.plan"].sudo()._dunning_create_missing(missing):
            return self._dunning_read_open_invoices(partner_ids, company_ids)
        invoices = []
        for row in rows:
            invoice = OpenInvoice(*row)
            invoice.state, invoice.next_date, invoice.checked_date = plans.get(
                invoice.id, ("none", None, None)
            )
            invoices.append(invoice)
        return invoices

    @api.model
    def _get_dunning_credit_lines_domain(self, partner_ids, company_ids):
        return [
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual", "<", 0),
            ("move_id.commercial_partner_id", "in", partner_ids),
            ("company_id", "in", company_ids),
        ]

    @api.model
    def _dunning_search_credit_lines(self, partner_ids, company_ids):
        """Receivable lines of these customers that lower what they owe: credit
        notes and payments not fully matched with an invoice."""
        return self.env["account.move.line"].search(
            self._get_dunning_credit_lines_domain(partner_ids, company_ids), order="date, id"
        )

    @api.model
    def _dunning_read_credit_lines(self, partner_ids, company_ids):
        """The same as _dunning_search_credit_lines, as CreditLine."""
        query = self.env["account.move.line"]._search(
            self._get_dunning_credit_lines_domain(partner_ids, company_ids), order="date, id"
        )
        line = query.table
        rows = self.env.execute_query(
            query.select(
                SQL.identifier(line, "id"),
                SQL.identifier(line, "move_id"),
                SQL(
                    "(SELECT commercial_partner_id FROM account_move WHERE id = %s)",
                    SQL.identifier(line, "move_id"),
                ),
                SQL.identifier(line, "company_id"),
                SQL.identifier(line, "currency_id"),
                SQL(
                    "COALESCE(NULLIF((SELECT name FROM account_move WHERE id = %s), ''), "
                    "NULLIF(%s, ''), '/')",
                    SQL.identifier(line, "move_id"),
                    SQL.identifier(line, "name"),
                ),
                SQL.identifier(line, "date"),
                SQL.identifier(line, "amount_currency"),
                SQL.identifier(line, "amount_residual_currency"),
                SQL.identifier(line, "amount_residual"),
                SQL(
                    "(SELECT move_type = 'entry' FROM account_move WHERE id = %s)",
                    SQL.identifier(line, "move_id"),
                ),
            )
        )
        return [CreditLine(*row) for row in rows]

    @api.model
    def _dunning_keys_reminded_on(self, partner_ids, day):
        """(customer, company, currency) triples already given a reminder that day."""
        groups = self._read_group(
            [("partner_id", "in", partner_ids), ("date", "=", day), ("state", "!=", "cancelled")],
            ["partner_id", "company_id", "currency_id"],
        )
        return {(partner.id, company.id, currency.id) for partner, company, currency in groups}

    @api.model
    def _dunning_previous_dates(self, partner_ids):
        groups = self._read_group(
            [("partner_id", "in", partner_ids), ("state", "=", "sent")],
            ["partner_id"],
            ["date:max"],
        )
        return {partner.id: date for partner, date in groups}

    @api.model
    def _dunning_level_delays(self):
        """{level id: delay in days} of every level, archived ones included."""
        self.env["dunning.level"].flush_model(["delay_days"])
        return dict(self.env.execute_query(SQL("SELECT id, delay_days FROM dunning_level")))

    @api.model
    def _dunning_read_customers(self, partner_ids):
        """{id: Customer} of these customers, archived ones included, in one query."""
        self.env["res.partner"].flush_model(
            ["active", "dunning_excluded", "dunning_responsible_id", "user_id", "lang"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT id, active, dunning_excluded,
                       COALESCE(dunning_responsible_id, user_id), lang
                  FROM res_partner
                 WHERE id = ANY(%s)
                """,
                list(partner_ids),
            )
        )
        return {row[0]: Customer(row[0], *row[1:]) for row in rows}
