# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Invoices paid late: the flat indemnity and interest they still owe.

The law makes both due for any late payment (Code de commerce L441-10, D441-5),
also when the invoice was paid in full, late, before anyone reminded it. Many
companies waive them: the list is always kept, invoicing or waiving each claim
is the accountant's choice, and reminders claim them only if the company says
so (res.company.dunning_claim_paid_late).
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

CLAIM_FIELDS = (
    "interest_amount",
    "indemnity_amount",
    "penalty_note",
    "penalty_error",
    "penalty_error_message",
)


class DunningPaidLate(models.Model):
    _name = "dunning.paid.late"
    _description = "Invoice Paid Late"
    _order = "date_paid desc, id desc"
    _check_company_auto = True
    _rec_name = "move_id"

    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one(related="move_id.currency_id")
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    debtor_type = fields.Selection(
        [("business", "Business"), ("public", "Public buyer")], required=True, readonly=True
    )
    date_due = fields.Date(string="Due Date", readonly=True)
    date_paid = fields.Date(
        string="Paid On", readonly=True, help="Day of the last payment of the invoice."
    )
    days_late = fields.Integer(readonly=True)
    amount_total = fields.Monetary(related="move_id.amount_total", currency_field="currency_id")
    prescription_date = fields.Date(
        string="Limitation Date",
        readonly=True,
        help="Day the claim becomes time-barred (same rule as the invoice's).",
    )
    interest_amount = fields.Monetary(
        string="Interest",
        currency_field="currency_id",
        compute="_compute_penalty",
        store=True,
        help="Late-payment interest owed up to the day the invoice was paid, in the "
        "invoice's currency.",
    )
    indemnity_amount = fields.Monetary(
        string="Flat Indemnity",
        currency_field="company_currency_id",
        compute="_compute_penalty",
        store=True,
    )
    penalty_note = fields.Char(string="Penalty Basis", compute="_compute_penalty", store=True)
    penalty_error = fields.Boolean(
        string="Penalties Not Computed", compute="_compute_penalty", store=True
    )
    penalty_error_message = fields.Char(
        string="Why Not Computed", compute="_compute_penalty", store=True
    )
    waived = fields.Boolean(readonly=True, copy=False)
    state = fields.Selection(
        [("open", "To claim"), ("invoiced", "Invoiced"), ("waived", "Waived")],
        compute="_compute_state",
        store=True,
        index=True,
    )
    penalty_invoice_ids = fields.Many2many(
        "account.move",
        string="Penalty Invoices",
        compute="_compute_penalty_invoice_ids",
        help="Penalty invoices (not cancelled) of this invoice's penalties.",
    )

    _sql_constraints = [
        ("move_unique", "UNIQUE(move_id)", "An invoice is listed once as paid late."),
    ]

    @api.depends("move_id", "date_paid", "debtor_type")
    def _compute_penalty(self):
        Line = self.env["dunning.reminder.line"]
        rate_of = self.env["dunning.interest.rate"]._get_rate_lookup()
        installments = self.move_id._dunning_get_installments()
        for claim in self:
            move = claim.move_id
            vals = Line._dunning_get_penalty_values(
                move,
                claim.date_paid,
                claim.debtor_type,
                claim.partner_id.lang or self.env.lang,
                rate_of,
                installments.get(move.id, []),
            )
            claim.update(
                {
                    "interest_amount": vals["penalty_amount_currency"],
                    "indemnity_amount": vals["indemnity_amount"],
                    "penalty_note": vals["penalty_note"],
                    "penalty_error": vals["penalty_error"],
                    "penalty_error_message": vals["penalty_error_message"],
                }
            )

    @api.depends("move_id.dunning_penalty_line_ids.parent_state")
    def _compute_penalty_invoice_ids(self):
        for claim in self:
            claim.penalty_invoice_ids = claim.move_id.dunning_penalty_line_ids.move_id.filtered(
                lambda inv: inv.state != "cancel"
            )

    @api.depends(
        "waived",
        "penalty_error",
        "interest_amount",
        "indemnity_amount",
        "move_id.dunning_penalty_line_ids.parent_state",
        "move_id.dunning_penalty_line_ids.price_subtotal",
    )
    def _compute_state(self):
        """Invoiced once penalty invoices (not cancelled) cover the interest and
        the indemnity owed; what a reminder already invoiced counts."""
        invoiced = self.move_id._dunning_get_invoiced_penalties()
        for claim in self:
            interest_done, indemnity_done = invoiced.get(claim.move_id.id, (0.0, 0.0))
            currency = claim.move_id.currency_id
            covered = (
                not claim.penalty_error
                and currency.compare_amounts(interest_done, claim.interest_amount) >= 0
                and (indemnity_done or not claim.indemnity_amount)
            )
            if claim.waived:
                claim.state = "waived"
            elif covered:
                claim.state = "invoiced"
            else:
                claim.state = "open"

    # ------------------------------------------------------------------
    # Finding the invoices paid late
    # ------------------------------------------------------------------

    @api.model
    def _dunning_update(self, moves):
        """List those of ``moves`` paid in full after their due date (business
        and public debtors, within the limitation period)."""
        today = self.env["account.move"]._dunning_today()
        moves = moves.filtered(
            lambda m: m.move_type == "out_invoice"
            and m.state == "posted"
            and m.payment_state in ("paid", "in_payment")
            and m.invoice_date_due
            and not m.dunning_is_penalty_invoice
        )
        if not moves:
            return self
        listed = set(self.sudo().search([("move_id", "in", moves.ids)]).move_id.ids)
        moves = moves.filtered(lambda m: m.id not in listed)
        installments = moves._dunning_get_installments()
        vals_list = []
        for company, company_moves in moves.grouped("company_id").items():
            scenarios = company_moves.commercial_partner_id._dunning_get_effective_scenarios(
                company
            )
            for move in company_moves:
                scenario = scenarios.get(move.commercial_partner_id.id)
                debtor = scenario.debtor_type if scenario else "business"
                if debtor == "consumer":
                    continue
                items = installments.get(move.id, [])
                paid_days = [day for __, __, paid in items for day, __ in paid]
                if not paid_days:
                    continue
                date_paid = max(paid_days)
                if not any(any(day > due for day, __ in paid) for due, __, paid in items):
                    continue
                limit = move._dunning_get_prescription_date(move.invoice_date_due, debtor)
                if limit <= today:
                    continue
                vals_list.append(
                    {
                        "move_id": move.id,
                        "company_id": company.id,
                        "partner_id": move.commercial_partner_id.id,
                        "debtor_type": debtor,
                        "date_due": move.invoice_date_due,
                        "date_paid": date_paid,
                        "days_late": (date_paid - move.invoice_date_due).days,
                        "prescription_date": limit,
                    }
                )
        return self.sudo().create(vals_list)

    @api.model
    def _dunning_scan(self, companies):
        """List the invoices of ``companies`` paid late and not listed yet, within
        the longest limitation period (5 years)."""
        today = self.env["account.move"]._dunning_today()
        moves = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("paid", "in_payment")),
                    ("company_id", "in", companies.ids),
                    ("invoice_date_due", ">=", fields.Date.subtract(today, years=5)),
                    ("invoice_date_due", "<", today),
                    ("dunning_is_penalty_invoice", "=", False),
                    ("dunning_paid_late_ids", "=", False),
                ]
            )
        )
        return self._dunning_update(moves)

    @api.model
    def _dunning_recompute_open(self, companies=None, moves=None):
        """Recompute the claims still open (rates or settings changed)."""
        domain = [("state", "=", "open")]
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        if moves is not None:
            domain.append(("move_id", "in", moves.ids))
        claims = self.sudo().search(domain)
        for fname in CLAIM_FIELDS:
            self.env.add_to_compute(self._fields[fname], claims)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    @api.model
    def action_open_list(self):
        """Bring the list up to date, then open it."""
        self._dunning_scan(self.env.companies)
        return self.env["ir.actions.act_window"]._for_xml_id(
            "dunning_scenario.dunning_paid_late_action"
        )

    def action_invoice(self):
        """Invoice the penalties of these claims: one draft invoice per customer
        (and currency), less what was already invoiced."""
        claims = self.filtered(lambda claim: claim.state == "open")
        if not claims:
            raise UserError(self.env._("These invoices paid late have nothing left to invoice."))
        missing = claims.filtered("penalty_error")
        if missing:
            raise UserError(
                self.env._(
                    "The penalties of %(invoices)s are not computed: %(reason)s",
                    invoices=", ".join(missing.move_id.mapped("name")),
                    reason=missing[0].penalty_error_message,
                )
            )
        Reminder = self.env["dunning.reminder"]
        invoices = self.env["account.move"]
        for (partner, company), group in claims.grouped(
            lambda claim: (claim.partner_id, claim.company_id)
        ).items():
            company._dunning_check_invoice_penalties()
            invoiced = group.move_id._dunning_get_invoiced_penalties()
            env = self.with_context(lang=partner.lang or self.env.lang).env
            items = []
            for claim in group:
                move = claim.move_id
                interest_done, indemnity_done = invoiced.get(move.id, (0.0, 0.0))
                interest = move.currency_id.round(claim.interest_amount - interest_done)
                if move.currency_id.compare_amounts(interest, 0) > 0:
                    label = env._(
                        "Late-payment interest on %(invoice)s, paid on %(date)s: %(basis)s",
                        invoice=move.name,
                        date=fields.Date.to_string(claim.date_paid),
                        basis=claim.penalty_note,
                    )
                    items.append(Reminder._prepare_penalty_item(move, "interest", interest, label))
                if claim.indemnity_amount and not indemnity_done:
                    items.append(
                        Reminder._prepare_penalty_item(
                            move,
                            "indemnity",
                            claim.indemnity_amount,
                            Reminder._get_indemnity_label(env, move),
                        )
                    )
            if items:
                invoices |= Reminder._dunning_create_penalty_invoices(
                    partner, company, items, ", ".join(group.move_id.mapped("name"))
                )
        if not invoices:
            raise UserError(self.env._("Nothing left to invoice: it was already invoiced."))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", invoices.ids)]
        return action

    def action_waive(self):
        """The company does not claim these penalties (a commercial choice)."""
        self.filtered(lambda claim: claim.state == "open").write({"waived": True})
        return True

    def action_restore(self):
        self.filtered("waived").write({"waived": False})
        return True


class DunningReminderLine(models.Model):
    _inherit = "dunning.reminder.line"

    kind = fields.Selection(
        selection_add=[("paid_late", "Paid late")], ondelete={"paid_late": "cascade"}
    )
