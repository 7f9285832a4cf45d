# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bringing draft reminders up to date just before they are sent or marked
(invoices paid, paused or excluded since, credits used or new), and cancelling
them, with a note on them, their invoices and their customers."""

from collections import defaultdict

from odoo import fields, models

from .account_move import PAID_STATES


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    def _dunning_refresh(self):
        """Bring draft reminders up to date before they are sent or marked: drop
        the invoices paid since the reminder was prepared, stop reminding those
        paused or excluded since (still listed as outstanding when overdue),
        update what is left to pay, drop the credits used since and add the new
        ones, and cancel the reminders with no invoice left to remind.

        :return: the reminders still to send
        """
        today = self.env["account.move"]._dunning_today()
        self.env.flush_all()
        self.line_ids.move_id.invalidate_recordset(
            ["payment_state", "amount_residual", "amount_residual_signed"]
        )
        self.line_ids.move_line_id.invalidate_recordset(
            ["reconciled", "amount_residual", "amount_residual_currency"]
        )
        # What the loop below reads, read for all the reminders at once.
        self.line_ids.move_id.fetch(
            [
                "payment_state",
                "amount_residual",
                "currency_id",
                "dunning_pause_reason",
                "dunning_excluded",
            ]
        )
        self.partner_id.fetch(["dunning_excluded"])
        new_credits = self._dunning_get_new_credit_lines()
        invoice_bodies, partner_bodies = {}, defaultdict(list)
        for reminder in self:
            # Invoices paid late (their penalties claimed) are paid on purpose.
            debit_lines = reminder.line_ids.filtered(
                lambda line: line.kind not in ("credit", "paid_late")
            )
            settled = debit_lines.filtered(
                lambda line: (
                    line.move_id
                    and (
                        line.move_id.payment_state in PAID_STATES
                        or line.move_id.currency_id.compare_amounts(line.move_id.amount_residual, 0)
                        <= 0
                    )
                )
            )
            # Paused or excluded since: no longer reminded, still outstanding.
            withheld = (debit_lines - settled).filtered(
                lambda line: (
                    line.kind == "level"
                    and (
                        line.reminder_id.partner_id.dunning_excluded
                        or line.move_id.dunning_pause_reason
                        or line.move_id.dunning_excluded
                    )
                )
            )
            credit_lines = reminder.line_ids.filtered(lambda line: line.kind == "credit")
            used = credit_lines.filtered(
                lambda line: (
                    not line.move_line_id
                    or line.move_line_id.reconciled
                    or line.move_line_id.company_currency_id.compare_amounts(
                        line.move_line_id.amount_residual, 0
                    )
                    >= 0
                )
            )
            dropped = settled.filtered(lambda line: line.kind == "level").move_id
            withheld_moves = withheld.move_id
            (settled | used).unlink()
            not_due = withheld.filtered(lambda line: not line.date_due or line.date_due >= today)
            not_due.unlink()
            (withheld - not_due).write({"kind": "overdue", "level_id": False})
            for moves, text in (
                (
                    dropped,
                    self.env._(
                        "Paid since reminder %(reminder)s was prepared, removed from it: "
                        "%(names)s.",
                        reminder=reminder.name,
                        names=", ".join(dropped.mapped("name")),
                    ),
                ),
                (
                    withheld_moves,
                    self.env._(
                        "Paused or excluded since reminder %(reminder)s was prepared, no "
                        "longer reminded by it: %(names)s.",
                        reminder=reminder.name,
                        names=", ".join(withheld_moves.mapped("name")),
                    ),
                ),
            ):
                if moves:
                    reminder._message_log(body=text)
                    invoice_bodies.update(dict.fromkeys(moves.ids, text))
                    partner_bodies[reminder.partner_id.id].append(text)
            for line in reminder.line_ids:
                if line.kind == "credit":
                    source = line.move_line_id
                    vals = {
                        "amount_residual": source.amount_residual_currency,
                        "amount_residual_company": source.amount_residual,
                    }
                elif line.move_id:
                    vals = {
                        "amount_residual": line.move_id.amount_residual,
                        "amount_residual_company": line.move_id.amount_residual_signed,
                    }
                else:
                    continue
                if any(
                    line.currency_id.compare_amounts(line[fname], value)
                    for fname, value in vals.items()
                ):
                    line.write(vals)
            added = new_credits.get(
                (reminder.partner_id.id, reminder.company_id.id, reminder.currency_id.id), []
            )
            if added:
                reminder.write(
                    {
                        "line_ids": [
                            fields.Command.create(self._prepare_reminder_credit_line_vals(line))
                            for line in added
                        ]
                    }
                )
            if reminder.date != today:
                reminder.date = today
        if invoice_bodies:
            self.env["account.move"].browse(invoice_bodies)._message_log_batch(invoice_bodies)
            self.env["res.partner"].browse(partner_bodies)._message_log_batch(
                {pid: " ".join(texts) for pid, texts in partner_bodies.items()}
            )
        empty = self.filtered(lambda r: not r.level_line_ids)
        empty._dunning_cancel(
            self.env._(
                "Nothing left to remind: the invoices were paid, paused or excluded since "
                "the reminder was prepared."
            )
        )
        return self - empty

    def _dunning_get_new_credit_lines(self):
        """Credits (credit notes, payments not matched) of the customers of these
        reminders that are not listed on them yet, in one search.

        :return: {(partner id, company id, currency id): [account.move.line]}
        """
        if not self:
            return {}
        listed = set(self.line_ids.move_line_id.ids)
        result = defaultdict(list)
        for line in self._dunning_search_credit_lines(self.partner_id.ids, self.company_id.ids):
            if line.id not in listed:
                key = (
                    line.move_id.commercial_partner_id.id,
                    line.company_id.id,
                    line.currency_id.id,
                )
                result[key].append(line)
        return result

    def _dunning_cancel(self, reason):
        """Cancel the reminders, saying why on them, their invoices and their
        customers. The invoices are examined again by the run of the next day."""
        self._dunning_write_proof({"state": "cancelled", "cancel_reason": reason})
        moves = self.level_line_ids.move_id
        moves._dunning_write({"dunning_next_date": False})
        invoice_bodies, partner_bodies = {}, defaultdict(list)
        for reminder in self:
            reminder._message_log(body=reason)
            body = self.env._(
                "Reminder %(reminder)s cancelled: %(reason)s", reminder=reminder.name, reason=reason
            )
            invoice_bodies.update(dict.fromkeys(reminder.level_line_ids.move_id.ids, body))
            partner_bodies[reminder.partner_id.id].append(body)
        if invoice_bodies:
            moves._message_log_batch(invoice_bodies)
        if partner_bodies:
            self.partner_id._message_log_batch(
                {pid: " ".join(texts) for pid, texts in partner_bodies.items()}
            )
