# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The penalty side of a reminder: its interest and flat indemnities (totals of
its lines) and the amount it asks, payments received but not matched, and the
formal-notice dates of its invoices."""

from odoo import api, fields, models
from odoo.tools.misc import format_date, formatLang

from .dunning_reminder_line import PenaltyCalculator


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    # Late-payment penalties (French law): totals of the lines.
    amount_penalty = fields.Monetary(
        string="Late-Payment Interest",
        compute="_compute_penalty_amounts",
        store=True,
        help="Interest owed on the listed invoices on the reminder's date.",
    )
    amount_indemnity = fields.Monetary(
        string="Flat Indemnities",
        currency_field="company_currency_id",
        compute="_compute_penalty_amounts",
        store=True,
        help="Flat indemnity for recovery costs, once for each listed invoice paid late.",
    )
    amount_total_claimed = fields.Monetary(
        string="Total Claimed",
        compute="_compute_penalty_amounts",
        store=True,
        help="Net amount due plus interest, plus the flat indemnities when the reminder "
        "is in the company's currency (in another currency they are stated apart, in "
        "euros).",
    )
    amount_claimed = fields.Monetary(
        string="Amount Asked",
        compute="_compute_penalty_amounts",
        store=True,
        help="The one amount every message of this reminder (email, SMS, letter) asks "
        "the customer to pay: the net amount due, plus the penalties when the level "
        "states them.",
    )
    penalty_missing_rate = fields.Boolean(
        string="Interest Rate Missing",
        compute="_compute_penalty_amounts",
        store=True,
        help="Some penalties could not be computed because an interest rate is missing.",
    )
    penalty_missing_message = fields.Char(compute="_compute_penalty_missing_message")
    show_penalties = fields.Boolean(related="level_id.show_penalties")
    penalty_unmatched_warning = fields.Char(
        string="Unmatched Payments",
        compute="_compute_penalty_unmatched",
        help="Payments received but not matched with an invoice, which the penalties "
        "could not take into account.",
    )
    penalty_unmatched_note = fields.Char(
        string="Unmatched Payments Note",
        compute="_compute_penalty_unmatched",
        help="The same, in the customer's language, for the customer documents.",
    )

    @api.depends(
        "amount_net",
        "currency_id",
        "level_id.show_penalties",
        "line_ids.penalty_amount_currency",
        "line_ids.indemnity_amount",
        "line_ids.penalty_error",
    )
    def _compute_penalty_amounts(self):
        for reminder in self:
            lines = reminder.line_ids.filtered(lambda line: line.kind != "credit")
            # Interest in the invoices' currency; the flat indemnity is fixed in
            # euros by law and only added up with amounts in that same currency.
            reminder.amount_penalty = sum(lines.mapped("penalty_amount_currency"))
            reminder.amount_indemnity = sum(lines.mapped("indemnity_amount"))
            total = reminder.amount_net + reminder.amount_penalty
            if reminder.currency_id == reminder.company_currency_id:
                total += reminder.amount_indemnity
            reminder.amount_total_claimed = total
            reminder.amount_claimed = (
                total if reminder.level_id.show_penalties else reminder.amount_net
            )
            reminder.penalty_missing_rate = any(lines.mapped("penalty_error"))

    @api.depends("line_ids.penalty_error", "line_ids.penalty_error_message")
    def _compute_penalty_missing_message(self):
        for reminder in self:
            notes = reminder.line_ids.filtered("penalty_error").mapped("penalty_error_message")
            reminder.penalty_missing_message = " / ".join(dict.fromkeys(notes)) or False

    @api.depends("line_ids.kind", "line_ids.amount_residual", "line_ids.move_id")
    def _compute_penalty_unmatched(self):
        allocated = self._dunning_get_unmatched_payments()
        for reminder in self:
            payments = reminder._dunning_get_unmatched_payment_lines()
            if not payments or reminder.id in allocated:
                reminder.penalty_unmatched_warning = False
                reminder.penalty_unmatched_note = False
                continue
            env = reminder.with_context(lang=reminder.partner_id.lang or self.env.lang).env
            texts = {}
            for lang_env in (self.env, env):
                texts[lang_env] = ", ".join(
                    lang_env._(
                        "%(amount)s received on %(date)s",
                        amount=formatLang(
                            lang_env, -line.amount_residual, currency_obj=line.currency_id
                        ),
                        date=format_date(lang_env, line.date),
                    )
                    for line in payments
                )
            reminder.penalty_unmatched_warning = self.env._(
                "Payments not matched with an invoice (%(payments)s): the penalties assume "
                "they are not applied yet. Match them with the invoices they pay, then "
                "refresh the reminder.",
                payments=texts[self.env],
            )
            reminder.penalty_unmatched_note = env._(
                "Your payments %(payments)s are deducted from the net amount due; the "
                "penalties will be reduced once we have allocated them to your invoices.",
                payments=texts[env],
            )

    def _dunning_get_unmatched_payment_lines(self):
        """Credit lines of this reminder that are payments (not credit notes)."""
        self.ensure_one()
        return self.line_ids.filtered(
            lambda line: line.kind == "credit"
            and line.move_id.move_type == "entry"
            and line.currency_id.compare_amounts(line.amount_residual, 0) < 0
        )

    def _dunning_get_unmatched_payments(self):
        """Payments received and not matched, that pay the customer's single open
        invoice (Code civil 1342-10: a payment pays the debt due).

        :return: {reminder id: (invoice id, [(payment date, amount in the
                 invoice's currency)])}, only for reminders whose customer has
                 exactly one open invoice, listed on the reminder, in the
                 payments' currency
        """
        reminders = self.filtered("id")
        if not reminders:
            return {}
        Move = self.env["account.move"]
        counts = Move.sudo()._read_group(
            Move._get_dunning_open_domain()
            + [
                ("commercial_partner_id", "in", reminders.partner_id.ids),
                ("company_id", "in", reminders.company_id.ids),
            ],
            ["commercial_partner_id", "company_id"],
            ["id:array_agg"],
        )
        single = {
            (partner.id, company.id): ids[0] for partner, company, ids in counts if len(ids) == 1
        }
        result = {}
        for reminder in reminders:
            move_id = single.get((reminder.partner_id.id, reminder.company_id.id))
            debit = reminder.line_ids.filtered(
                lambda line, m=move_id: line.kind in ("level", "overdue") and line.move_id.id == m
            )
            payments = reminder._dunning_get_unmatched_payment_lines()
            if not (move_id and debit and payments):
                continue
            if any(line.currency_id != debit.move_id.currency_id for line in payments):
                continue
            result[reminder.id] = (
                move_id,
                [(line.date, -line.amount_residual) for line in payments],
            )
        return result

    def action_set_formal_notice_dates(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Formal Notice Dates"),
            "res_model": "dunning.formal.notice.date",
            "view_mode": "form",
            "target": "new",
            "context": {"default_reminder_id": self.id},
        }

    def _dunning_record_letter_ack(self, ack_date):
        """The acknowledgement of receipt of a formal notice's registered letter is
        the day the customer received the notice: the invoices it claimed get it
        as their receipt date, unless one was already recorded (a consumer's
        legal interest runs from it)."""
        result = super()._dunning_record_letter_ack(ack_date)
        for reminder in self.filtered("level_id.is_formal_notice"):
            moves = reminder.line_ids.filtered(
                lambda line: line.kind in ("level", "overdue")
            ).move_id.filtered(
                lambda move: move.dunning_formal_notice_date
                and move.dunning_formal_notice_date <= ack_date
                and not move.dunning_formal_notice_ack_date
            )
            moves.write({"dunning_formal_notice_ack_date": ack_date})
        return result

    @api.model
    def _dunning_get_paid_late_lines(self, partner_ids, companies):
        """Lines claiming the penalties of the invoices these customers paid late,
        for the companies that want them claimed on reminders (business and
        public debtors only: the caller leaves them out of consumers'
        reminders), in one search.

        :return: {(customer id, company id, currency id): [line values]}, the
            latest paid first
        """
        companies = companies.filtered("dunning_claim_paid_late")
        if not companies:
            return {}
        claims = (
            self.env["dunning.paid.late"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partner_ids),
                    ("company_id", "in", companies.ids),
                    ("state", "=", "open"),
                ]
            )
        )
        result = {}
        for claim in claims:
            move = claim.move_id
            key = (claim.partner_id.id, claim.company_id.id, move.currency_id.id)
            result.setdefault(key, []).append(
                {
                    "kind": "paid_late",
                    "move_id": move.id,
                    "name": move.name,
                    "date": move.invoice_date or None,
                    "date_due": move.invoice_date_due or None,
                    "days_overdue": claim.days_late,
                    "currency_id": move.currency_id.id,
                    "amount_total": move.amount_total,
                    "amount_residual": 0.0,
                    "amount_residual_company": 0.0,
                    "penalty_invoice": PenaltyCalculator.invoice_of(move)
                    if move.move_type == "out_invoice"
                    else None,
                }
            )
        return result
