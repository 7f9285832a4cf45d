# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Invoicing the late-payment penalties of a sent reminder."""

from odoo import api, fields, models, tools
from odoo.exceptions import UserError


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    def action_invoice_penalties(self):
        """Create a draft customer invoice of the interest and flat indemnities of
        this sent reminder. An invoice's indemnity is invoiced once whatever the
        number of reminders; its interest is invoiced for what accrued since the
        last penalty invoice (penalties on a reminder run from the due date)."""
        self.ensure_one()
        if not self.company_id.dunning_invoice_penalties:
            raise UserError(
                self.env._(
                    "Invoicing the penalties is not enabled for %(company)s: see Settings > "
                    "Invoicing > Payment Reminders.",
                    company=self.company_id.name,
                )
            )
        if self.state != "sent":
            raise UserError(
                self.env._(
                    "Only the penalties of a sent reminder can be invoiced: they are final "
                    "once the reminder is sent."
                )
            )
        if self.penalty_invoice_id and self.penalty_invoice_id.state != "cancel":
            raise UserError(
                self.env._(
                    "The penalties of %(reminder)s are already invoiced in %(invoice)s.",
                    reminder=self.name,
                    invoice=self.penalty_invoice_id.display_name,
                )
            )
        if self.penalty_missing_rate:
            raise UserError(
                self.env._(
                    "The penalties of %(reminder)s were not computed: %(reason)s. Enter the "
                    "missing rate; the next reminder will compute them.",
                    reminder=self.name,
                    reason=self.penalty_missing_message,
                )
            )
        lines = self.line_ids.filtered(
            lambda line: line.kind != "credit" and (line.penalty_amount or line.indemnity_amount)
        )
        invoiced = self._dunning_get_invoiced_penalties(lines.move_id)
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        currency = self.currency_id
        invoice_line_vals, line_updates = [], {}
        for line in lines:
            interest_done, indemnity_done = invoiced.get(line.move_id, (0.0, 0.0))
            interest = currency.round(line.penalty_amount - interest_done)
            indemnity = 0.0 if indemnity_done else line.indemnity_amount
            if currency.compare_amounts(interest, 0) > 0:
                label = env._(
                    "Late-payment interest on %(invoice)s: %(basis)s",
                    invoice=line.move_id.name,
                    basis=line.penalty_note,
                )
                if interest_done:
                    label = env._(
                        "%(label)s; less %(amount)s already invoiced",
                        label=label,
                        amount=tools.formatLang(env, interest_done, currency_obj=currency),
                    )
                invoice_line_vals.append(self._prepare_penalty_invoice_line_vals(label, interest))
            else:
                interest = 0.0
            if currency.compare_amounts(indemnity, 0) > 0:
                invoice_line_vals.append(
                    self._prepare_penalty_invoice_line_vals(
                        env._(
                            "Flat indemnity for recovery costs, invoice %(invoice)s paid late "
                            "(outside the scope of VAT)",
                            invoice=line.move_id.name,
                        ),
                        indemnity,
                    )
                )
            if interest or indemnity:
                line_updates[line] = {
                    "penalty_invoiced_amount": interest,
                    "indemnity_invoiced_amount": indemnity,
                }
        if not invoice_line_vals:
            raise UserError(
                self.env._(
                    "Nothing left to invoice: the penalties and indemnities of these invoices "
                    "were already invoiced."
                )
            )
        Journal = self.env["account.journal"]
        journal = Journal.search(
            [*Journal._check_company_domain(self.company_id), ("type", "=", "sale")], limit=1
        )
        if not journal.default_account_id:
            raise UserError(
                self.env._(
                    "No sales journal with an income account in %(company)s to invoice the "
                    "penalties.",
                    company=self.company_id.name,
                )
            )
        invoice = (
            self.env["account.move"]
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "journal_id": journal.id,
                    "currency_id": currency.id,
                    "invoice_origin": self.name,
                    "invoice_line_ids": [
                        fields.Command.create({**vals, "account_id": journal.default_account_id.id})
                        for vals in invoice_line_vals
                    ],
                }
            )
        )
        for line, vals in line_updates.items():
            # Bookkeeping of what was invoiced, not a change of what was claimed.
            line._dunning_write_proof(vals)
        self._dunning_write_proof({"penalty_invoice_id": invoice.id})
        self._message_log(
            body=self.env._("Penalty invoice %(invoice)s created.", invoice=invoice.display_name)
        )
        return self.action_view_penalty_invoice()

    def _prepare_penalty_invoice_line_vals(self, label, amount):
        # No tax: interest and the flat indemnity are compensation, outside the
        # scope of VAT.
        return {
            "name": label,
            "quantity": 1.0,
            "price_unit": amount,
            "tax_ids": [fields.Command.clear()],
        }

    @api.model
    def _dunning_get_invoiced_penalties(self, moves):
        """What was already invoiced of each invoice's penalties, by penalty
        invoices not cancelled.

        :return: {account.move: (interest, indemnity)} in company currency
        """
        groups = self.env["dunning.reminder.line"]._read_group(
            [
                ("move_id", "in", moves.ids),
                ("reminder_id.penalty_invoice_id", "!=", False),
                ("reminder_id.penalty_invoice_id.state", "!=", "cancel"),
            ],
            ["move_id"],
            ["penalty_invoiced_amount:sum", "indemnity_invoiced_amount:sum"],
        )
        return {move: (interest, indemnity) for move, interest, indemnity in groups}
