# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import UserError

from . import dunning_penalty as penalty
from .dunning_penalty_calculator import EMPTY_PENALTY, PENALTY_FIELDS, PenaltyCalculator
from .dunning_reminder import is_proof_write_allowed, proof_write_allowed


class DunningReminderLine(models.Model):
    """One invoice (or credit) listed on a reminder.

    A plain model on purpose: no chatter, no followers, so that a run creating
    tens of thousands of lines stays cheap. For the same reason a line stores
    no author or dates of its own (they are its reminder's, and a sent
    reminder's lines never change) and takes its company from its reminder:
    each foreign key stored is a check per line written.
    """

    _name = "dunning.reminder.line"
    _description = "Dunning Reminder Line"
    _order = "reminder_id, kind_sequence, date_due, id"
    _log_access = False

    reminder_id = fields.Many2one("dunning.reminder", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="reminder_id.company_id")
    # Stored computes are precomputed: a run creating tens of thousands of lines
    # writes them in the INSERT, not in UPDATEs after it.
    kind = fields.Selection(
        [
            ("level", "Level reached"),
            ("overdue", "Also outstanding"),
            ("credit", "Credit"),
        ],
        required=True,
        default="level",
        help="Reminded: the invoice reaches a level today. Also outstanding: another "
        "overdue invoice of the customer. Credit: a credit note or payment not yet "
        "matched, which lowers what the customer really owes.",
    )
    kind_sequence = fields.Integer(compute="_compute_kind_sequence", store=True, precompute=True)
    move_id = fields.Many2one("account.move", string="Document", index=True, ondelete="restrict")
    # For the effectiveness report, which reads it here instead of joining every
    # invoice: the day the invoice got paid in full, while it stays paid.
    move_paid_date = fields.Date(
        string="Document Paid On", compute="_compute_move_paid_date", store=True, precompute=True
    )
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", ondelete="set null")
    name = fields.Char(string="Reference", required=True)
    date = fields.Date(string="Document Date")
    date_due = fields.Date(string="Due Date")
    days_overdue = fields.Integer()
    level_id = fields.Many2one("dunning.level", string="Level", ondelete="restrict")
    currency_id = fields.Many2one("res.currency", required=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount_total = fields.Monetary(currency_field="currency_id")
    amount_residual = fields.Monetary(
        string="Left to Pay",
        currency_field="currency_id",
        help="Amount left to pay on the reminder's date; negative for credits.",
    )
    amount_residual_company = fields.Monetary(
        string="Left to Pay (Company Currency)", currency_field="company_currency_id"
    )
    # Late-payment penalties (French law), frozen once the reminder is sent.
    penalty_amount = fields.Monetary(
        string="Penalties",
        currency_field="company_currency_id",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="Late-payment interest owed on this invoice on the reminder's date "
        "(company currency).",
    )
    penalty_amount_currency = fields.Monetary(
        string="Penalties (Invoice Currency)",
        currency_field="currency_id",
        compute="_compute_penalty",
        store=True,
        precompute=True,
    )
    indemnity_amount = fields.Monetary(
        string="Flat Indemnity",
        currency_field="company_currency_id",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="Flat indemnity for recovery costs owed because this invoice is paid late "
        "(business and public debtors).",
    )
    penalty_rate = fields.Float(
        string="Penalty Rate (%)",
        digits=(16, 2),
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="Annual rate used; the last one when the late period spans several rates.",
    )
    penalty_note = fields.Char(
        string="Penalty Basis",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="How the penalties were computed, written in the customer's language.",
    )
    penalty_error = fields.Boolean(
        string="Penalties Not Computed",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="An interest rate needed for this invoice is missing: see the basis.",
    )
    penalty_deducted_currency = fields.Monetary(
        string="Interest Already Invoiced",
        currency_field="currency_id",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="Interest of this invoice already on posted penalty invoices, left out of "
        "the penalties claimed here (the penalty invoice is claimed for itself).",
    )
    penalty_error_message = fields.Char(
        string="Why Not Computed",
        compute="_compute_penalty",
        store=True,
        precompute=True,
        help="Which rate to enter for the penalties to be computed (for the accountant: "
        "customer documents state the legal basis only).",
    )
    penalty_invoiced_amount = fields.Monetary(
        string="Interest Invoiced",
        currency_field="company_currency_id",
        readonly=True,
        copy=False,
        help="Part of the penalties put on the reminder's penalty invoice.",
    )
    indemnity_invoiced_amount = fields.Monetary(
        string="Indemnity Invoiced",
        currency_field="company_currency_id",
        readonly=True,
        copy=False,
    )

    @api.depends("move_id.payment_state", "move_id.dunning_paid_date")
    def _compute_move_paid_date(self):
        for line in self:
            move = line.move_id
            paid = move.payment_state in ("paid", "in_payment")
            line.move_paid_date = move.dunning_paid_date if paid else False

    @api.depends("kind")
    def _compute_kind_sequence(self):
        order = {"level": 1, "overdue": 2, "credit": 3}
        for line in self:
            line.kind_sequence = order.get(line.kind, 9)

    # ------------------------------------------------------------------
    # Late-payment penalties
    # ------------------------------------------------------------------

    # A sent reminder is the record of what was claimed: its lines keep their
    # penalties (the compute leaves them untouched, and the reminder finishes
    # pending computations just before it becomes sent, see
    # _dunning_flush_penalties). Hence no dependency on the scenario, the
    # company's settings or the invoice's payments either. A draft reminder is
    # recomputed when its date or amounts are refreshed before sending, and
    # when rates, settings or formal-notice dates change
    # (_dunning_recompute_draft_penalties).
    # The other lines of the reminder count too: a payment not matched (a credit
    # line) may pay the customer's single open invoice (_dunning_get_unmatched_payments).
    @api.depends(
        "reminder_id.date",
        "move_id",
        "kind",
        "level_id",
        "amount_residual",
        "reminder_id.line_ids.amount_residual",
    )
    def _compute_penalty(self):
        frozen = self.filtered(lambda line: line.id and line.reminder_id.state == "sent")
        empty = self._dunning_empty_penalty()
        lines = (self - frozen).filtered(
            lambda line: line.kind != "credit"
            and line.move_id.move_type == "out_invoice"
            and line.reminder_id.date
        )
        for line in self - frozen - lines:
            line.update(empty)
        if not lines:
            return
        calculator = PenaltyCalculator(self)
        installments = lines.move_id._dunning_get_installments()
        # Posted penalty invoices are open invoices of their own on the reminder:
        # what they invoiced is not claimed a second time on the late invoice.
        invoiced = lines.move_id._dunning_get_invoiced_penalties(posted_only=True)
        unmatched = lines.reminder_id._dunning_get_unmatched_payments()
        for line in lines:
            move_installments = installments.get(line.move_id.id, [])
            target, payments = unmatched.get(line.reminder_id.id, (False, []))
            if target == line.move_id.id:
                move_installments = penalty.allocate_payments(move_installments, payments)
            line.update(
                line._dunning_compute_penalty(
                    calculator, move_installments, invoiced.get(line.move_id.id, (0.0, 0.0))
                )
            )

    @api.model
    def _dunning_empty_penalty(self):
        return dict(EMPTY_PENALTY)

    def _dunning_compute_penalty(self, rate_of, installments, invoiced=(0.0, 0.0)):
        """Penalties of this invoice line on the reminder's date (see
        _dunning_get_penalty_values).

        :param rate_of: a PenaltyCalculator, or a rate lookup (_get_rate_lookup)
        """
        self.ensure_one()
        calculator = (
            rate_of if isinstance(rate_of, PenaltyCalculator) else PenaltyCalculator(self, rate_of)
        )
        reminder = self.reminder_id
        return calculator.values(
            calculator.invoice_of(self.move_id),
            reminder.date,
            reminder.scenario_id.debtor_type,
            reminder.partner_id.lang or self.env.lang,
            installments,
            invoiced=invoiced,
            notice_level=self.level_id.is_formal_notice,
        )

    @api.model
    def _dunning_get_penalty_values(
        self,
        move,
        end,
        debtor,
        lang,
        rate_of,
        installments,
        invoiced=(0.0, 0.0),
        notice_level=False,
    ):
        """Penalties owed for the invoice ``move`` on the day ``end`` (see
        PenaltyCalculator.values).

        :param rate_of: function (rate type, day) -> rate, from _get_rate_lookup
        :param installments: [(due date, amount, [(payment date, amount)])]
        :param invoiced: (interest in the invoice's currency, indemnity) invoiced
        :return: values of PENALTY_FIELDS
        """
        calculator = PenaltyCalculator(self, rate_of)
        return calculator.values(
            calculator.invoice_of(move),
            end,
            debtor,
            lang,
            installments,
            invoiced=invoiced,
            notice_level=notice_level,
        )

    @api.model
    def _dunning_get_missing_rate_values(self, env, error, debtor):
        """A missing rate: the accountant is told which one to enter (in the UI);
        the customer is told the legal basis, never a made-up amount nor an
        internal word."""
        labels = dict(
            self.env["dunning.interest.rate"]._fields["rate_type"]._description_selection(self.env)
        )
        customer_period = penalty.half_year_label(error.period_start, env.lang)
        if debtor == "consumer":
            note = env._(
                "Interest at the legal rate is due from the formal notice (French Civil Code, "
                "article 1231-6); its amount for %(period)s will be stated once the legal rate "
                "of that half-year is published.",
                period=customer_period,
            )
        elif debtor == "public":
            note = env._(
                "Moratory interest is due from the day after the payment deadline (French "
                "Public Procurement Code, article L2192-13); its amount for %(period)s will be "
                "stated once the reference rate of that half-year is published.",
                period=customer_period,
            )
        else:
            note = env._(
                "Late-payment penalties are due from the day after the due date (French "
                "Commercial Code, article L441-10); their amount for %(period)s will be stated "
                "once the reference rate of that half-year is published.",
                period=customer_period,
            )
        return {
            "penalty_error": True,
            "penalty_note": note,
            "penalty_error_message": self.env._(
                "Not computed: rate for %(period)s missing (%(rate)s)",
                period=penalty.half_year_label(error.period_start, self.env.lang),
                rate=labels[error.rate_type],
            ),
        }

    @api.model
    def _dunning_recompute_draft_penalties(self, companies=None, moves=None):
        """Recompute the penalties of the reminders still to send (rates,
        settings or formal-notice dates changed); sent reminders keep what they
        claimed."""
        domain = [("reminder_id.state", "=", "draft"), ("kind", "!=", "credit")]
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        if moves is not None:
            domain.append(("move_id", "in", moves.ids))
        lines = self.sudo().search(domain)
        for fname in PENALTY_FIELDS:
            self.env.add_to_compute(self._fields[fname], lines)
        # The reminders' totals follow.
        lines.modified(PENALTY_FIELDS)
        self.env["dunning.paid.late"]._dunning_recompute_open(companies, moves)

    def _dunning_flush_penalties(self):
        """Finish the pending penalty computations of these lines now, e.g. before
        their reminder is sent and its lines become final."""
        self.flush_recordset(list(PENALTY_FIELDS))

    # ------------------------------------------------------------------
    # Sent reminders are the proof of what the customer received
    # ------------------------------------------------------------------

    def _check_reminder_not_sent(self, reminders=None):
        """Refuse to change the lines of sent reminders, or to put lines on one
        (``reminders``: the reminders lines are created on or moved to). Only
        server code writing through ``_dunning_write_proof`` may."""
        if is_proof_write_allowed():
            return
        reminders = self.reminder_id | (reminders or self.env["dunning.reminder"])
        if any(reminder.state == "sent" for reminder in reminders):
            raise UserError(
                self.env._(
                    "The lines of a sent reminder are the record of what the customer "
                    "received: none can be added, changed, moved or deleted."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self.browse()._check_reminder_not_sent(
            self.env["dunning.reminder"].browse(
                {vals["reminder_id"] for vals in vals_list if vals.get("reminder_id")}
            )
        )
        return super().create(vals_list)

    def write(self, vals):
        self._check_reminder_not_sent(self.env["dunning.reminder"].browse(vals.get("reminder_id")))
        return super().write(vals)

    def _dunning_write_proof(self, vals):
        """Write ``vals`` even on the lines of sent reminders (bookkeeping such
        as the penalties invoiced): for server code only."""
        with proof_write_allowed():
            return self.write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        self._check_reminder_not_sent()
