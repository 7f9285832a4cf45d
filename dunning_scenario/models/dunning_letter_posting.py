# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The letters to post: printing them as they were made, recording the day
they were posted (and the registered-mail number of a formal notice), then the
acknowledgement of receipt."""

from odoo import fields, models, tools
from odoo.exceptions import UserError
from odoo.tools.pdf import merge_pdf


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    letter_posted_date = fields.Date(
        string="Letter Posted On",
        readonly=True,
        copy=False,
        help="Day the letter was posted, as recorded by the accountant.",
    )
    letter_registered_number = fields.Char(
        string="Registered Mail Number",
        readonly=True,
        copy=False,
        help="Number of the registered letter (with acknowledgement of receipt): required "
        "to mark a formal notice as posted.",
    )
    letter_ack_date = fields.Date(
        string="Acknowledgement of Receipt",
        readonly=True,
        copy=False,
        help="Day the customer signed for the registered letter, from the acknowledgement "
        "of receipt.",
    )
    is_formal_notice = fields.Boolean(related="level_id.is_formal_notice")

    def _dunning_check_letters(self, statuses):
        not_ready = self.filtered(lambda r: r.letter_status not in statuses)
        if not_ready:
            raise UserError(
                self.env._(
                    "These reminders have no letter in that state: %(names)s",
                    names=", ".join(not_ready.mapped("name")),
                )
            )

    def action_print_letters(self):
        """Print the letters of these reminders as they were made when sent, in
        one PDF."""
        if not self:
            raise UserError(self.env._("Select the letters to print."))
        missing = self.filtered(lambda r: not r.letter_attachment_id)
        if missing:
            raise UserError(
                self.env._(
                    "These reminders have no letter to print: %(names)s",
                    names=", ".join(missing.mapped("name")),
                )
            )
        return {
            "type": "ir.actions.act_url",
            "url": "/dunning_scenario/letters?ids={}".format(",".join(map(str, self.ids))),
            "target": "new",
        }

    def _dunning_get_letters_pdf(self):
        """The stored letters of these reminders, joined in one PDF."""
        return merge_pdf([reminder.letter_attachment_id.raw for reminder in self])

    def action_post_letters(self):
        """Ask the day the letters were posted (and the registered-mail numbers)."""
        self._dunning_check_letters(("to_post",))
        return self._dunning_letter_post_action("post")

    def action_record_letter_ack(self):
        """Ask the day the customer signed for the registered letter."""
        self._dunning_check_letters(("done",))
        return self._dunning_letter_post_action("ack")

    def _dunning_letter_post_action(self, mode):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Letters Posted")
            if mode == "post"
            else self.env._("Acknowledgements of Receipt"),
            "res_model": "dunning.letter.post",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_mode": mode,
                "default_line_ids": [
                    fields.Command.create({"reminder_id": reminder.id}) for reminder in self
                ],
            },
        }

    def _dunning_mark_letters_posted(self, posted_date, numbers=None):
        """Record that the letters were posted on ``posted_date``: from then on
        they count as sent. A formal notice goes by registered mail: its number
        is required.

        :param numbers: {reminder: registered-mail number}
        """
        numbers = numbers or {}
        self._dunning_check_letters(("to_post",))
        today = self.env["account.move"]._dunning_today()
        if posted_date > today:
            raise UserError(self.env._("A letter cannot be posted after today."))
        for reminder in self:
            number = (numbers.get(reminder) or "").strip()
            if reminder.is_formal_notice and not number:
                raise UserError(
                    self.env._(
                        "%(reminder)s is a formal notice, sent by registered mail: enter its "
                        "registered-mail number to mark it posted.",
                        reminder=reminder.name,
                    )
                )
            if posted_date < reminder.date:
                raise UserError(
                    self.env._(
                        "The letter of %(reminder)s was made on %(date)s: it cannot have been "
                        "posted before.",
                        reminder=reminder.name,
                        date=tools.format_date(self.env, reminder.date),
                    )
                )
            reminder._dunning_write_proof(
                {
                    "letter_status": "done",
                    "letter_error": False,
                    "letter_posted_date": posted_date,
                    "letter_registered_number": number or False,
                }
            )
            if number:
                text = self.env._(
                    "Letter of reminder %(reminder)s posted on %(date)s by registered mail "
                    "no. %(number)s.",
                    reminder=reminder.name,
                    date=tools.format_date(self.env, posted_date),
                    number=number,
                )
            else:
                text = self.env._(
                    "Letter of reminder %(reminder)s posted on %(date)s.",
                    reminder=reminder.name,
                    date=tools.format_date(self.env, posted_date),
                )
            reminder._dunning_log_letter_event(text)

    def _dunning_record_letter_ack(self, ack_date):
        """Record the day the customer signed for the registered letters."""
        self._dunning_check_letters(("done",))
        today = self.env["account.move"]._dunning_today()
        for reminder in self:
            if not reminder.letter_registered_number:
                raise UserError(
                    self.env._(
                        "The letter of %(reminder)s was not sent by registered mail: there is "
                        "no acknowledgement of receipt to record.",
                        reminder=reminder.name,
                    )
                )
            if reminder.letter_ack_date:
                raise UserError(
                    self.env._(
                        "The acknowledgement of receipt of %(reminder)s is already recorded.",
                        reminder=reminder.name,
                    )
                )
            if ack_date > today or ack_date < reminder.letter_posted_date:
                raise UserError(
                    self.env._(
                        "The acknowledgement of receipt of %(reminder)s must be dated between "
                        "the day the letter was posted (%(posted)s) and today.",
                        reminder=reminder.name,
                        posted=tools.format_date(self.env, reminder.letter_posted_date),
                    )
                )
            reminder._dunning_write_proof({"letter_ack_date": ack_date})
            reminder._dunning_log_letter_event(
                self.env._(
                    "Registered letter no. %(number)s of reminder %(reminder)s received by the "
                    "customer on %(date)s.",
                    number=reminder.letter_registered_number,
                    reminder=reminder.name,
                    date=tools.format_date(self.env, ack_date),
                )
            )

    def _dunning_log_letter_event(self, text):
        self.ensure_one()
        self._message_log(body=text)
        moves = self.level_line_ids.move_id
        moves._message_log_batch(dict.fromkeys(moves.ids, text))
        self.partner_id._message_log(body=text)
