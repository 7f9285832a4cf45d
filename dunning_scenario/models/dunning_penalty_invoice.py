# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Invoicing late-payment penalties: those of a sent reminder, or those of
invoices paid late (dunning.paid.late)."""

from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import UserError


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    invoice_penalties = fields.Boolean(related="company_id.dunning_invoice_penalties")
    penalty_invoice_id = fields.Many2one(
        "account.move",
        string="Penalty Invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="Invoice of the interest and flat indemnities of this reminder.",
    )

    def action_invoice_penalties(self):
        """Create a draft customer invoice of the interest and flat indemnities of
        this sent reminder. An invoice's indemnity is invoiced once whatever the
        number of reminders; its interest is invoiced for what accrued since the
        last penalty invoice (penalties on a reminder run from the due date)."""
        self.ensure_one()
        self.company_id._dunning_check_invoice_penalties()
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
            lambda line: line.kind != "credit"
            and (line.penalty_amount_currency or line.indemnity_amount)
        )
        invoiced = lines.move_id._dunning_get_invoiced_penalties()
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        items, line_updates = [], {}
        for line in lines:
            move = line.move_id
            currency = move.currency_id
            interest_done, indemnity_done = invoiced.get(move.id, (0.0, 0.0))
            gross = line.penalty_amount_currency + line.penalty_deducted_currency
            interest = currency.round(gross - interest_done)
            indemnity = 0.0 if indemnity_done else line.indemnity_amount
            if currency.compare_amounts(interest, 0) > 0:
                label = env._(
                    "Late-payment interest on %(invoice)s: %(basis)s",
                    invoice=move.name,
                    basis=line.penalty_note,
                )
                extra = currency.round(interest_done - line.penalty_deducted_currency)
                if currency.compare_amounts(extra, 0) > 0:
                    label = env._(
                        "%(label)s; less %(amount)s already invoiced",
                        label=label,
                        amount=tools.formatLang(env, extra, currency_obj=currency),
                    )
                items.append(self._prepare_penalty_item(move, "interest", interest, label))
            else:
                interest = 0.0
            if line.company_currency_id.compare_amounts(indemnity, 0) > 0:
                items.append(
                    self._prepare_penalty_item(
                        move, "indemnity", indemnity, self._get_indemnity_label(env, move)
                    )
                )
            if interest or indemnity:
                line_updates[line] = {
                    "penalty_invoiced_amount": move.currency_id._convert(
                        interest, self.company_id.currency_id, self.company_id, self.date
                    ),
                    "indemnity_invoiced_amount": indemnity,
                }
        if not items:
            raise UserError(
                self.env._(
                    "Nothing left to invoice: the penalties and indemnities of these invoices "
                    "were already invoiced."
                )
            )
        invoices = self._dunning_create_penalty_invoices(
            self.partner_id, self.company_id, items, self.name
        )
        for line, vals in line_updates.items():
            # Bookkeeping of what was invoiced, not a change of what was claimed.
            line._dunning_write_proof(vals)
        main = invoices.filtered(lambda inv: inv.currency_id == self.currency_id)[:1]
        self._dunning_write_proof({"penalty_invoice_id": (main or invoices[:1]).id})
        self._message_log(
            body=self.env._(
                "Penalty invoice %(invoice)s created.",
                invoice=", ".join(invoices.mapped("display_name")),
            )
        )
        return self.action_view_penalty_invoice()

    @api.model
    def _get_indemnity_label(self, env, move):
        return env._(
            "Flat indemnity for recovery costs, invoice %(invoice)s paid late "
            "(outside the scope of VAT)",
            invoice=move.name,
        )

    @api.model
    def _prepare_penalty_item(self, move, kind, amount, label):
        """One line to invoice: ``kind`` 'interest' (in the invoice's currency) or
        'indemnity' (in the company's currency, the law's euros)."""
        currency = move.currency_id if kind == "interest" else move.company_id.currency_id
        return {"move": move, "kind": kind, "amount": amount, "currency": currency, "label": label}

    @api.model
    def _dunning_create_penalty_invoices(self, partner, company, items, origin):
        """Create the draft penalty invoices of ``items`` (see _prepare_penalty_item),
        one per currency: interest stays in its invoice's currency, the flat
        indemnity in the company's.

        :return: the invoices (account.move)
        """
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "sale")],
            limit=1,
        )
        accounts = {
            kind: company._dunning_get_penalty_account(kind) or journal.default_account_id
            for kind in ("interest", "indemnity")
        }
        if not all(accounts.values()):
            raise UserError(
                self.env._(
                    "No income account to invoice the penalties in %(company)s: choose them in "
                    "Settings > Invoicing > Payment Reminders.",
                    company=company.name,
                )
            )
        by_currency = defaultdict(list)
        for item in items:
            by_currency[item["currency"]].append(item)
        vals_list = []
        for currency, currency_items in by_currency.items():
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "journal_id": journal.id,
                    "currency_id": currency.id,
                    "invoice_origin": origin,
                    "dunning_is_penalty_invoice": True,
                    # Reminded for its own amount only if the company wants it.
                    "dunning_excluded": not company.dunning_remind_penalty_invoices,
                    "invoice_line_ids": [
                        fields.Command.create(
                            {
                                **self._prepare_penalty_invoice_line_vals(
                                    item["label"], item["amount"]
                                ),
                                "account_id": accounts[item["kind"]].id,
                                "dunning_penalty_source_id": item["move"].id,
                                "dunning_penalty_kind": item["kind"],
                            }
                        )
                        for item in currency_items
                    ],
                }
            )
        return self.env["account.move"].with_company(company).create(vals_list)

    def _prepare_penalty_invoice_line_vals(self, label, amount):
        # No tax: interest and the flat indemnity are compensation, outside the
        # scope of VAT.
        return {
            "name": label,
            "quantity": 1.0,
            "price_unit": amount,
            "tax_ids": [fields.Command.clear()],
        }

    def action_view_penalty_invoice(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action.update(
            {"res_id": self.penalty_invoice_id.id, "views": [(False, "form")], "view_mode": "form"}
        )
        return action
