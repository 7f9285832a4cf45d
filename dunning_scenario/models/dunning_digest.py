# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Daily digest of each dunning responsible: on working days when there is
something for them, one summary, as an activity or an internal email."""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_digest_mode = fields.Selection(
        [("none", "No digest"), ("activity", "Activity"), ("email", "Internal email")],
        string="Daily Reminder Digest",
        default="activity",
        required=True,
        help="How each dunning responsible gets, on working days when there is something "
        "for them, the summary of reminders waiting, failed channels, letters to post, "
        "promises to pay and pauses ending, and new litigation.",
    )


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_digest_mode = fields.Selection(related="company_id.dunning_digest_mode", readonly=False)


class DunningDigest(models.AbstractModel):
    _name = "dunning.digest"
    _description = "Daily Reminder Digest"

    @api.model
    def _cron_send_digest(self):
        today = self.env["account.move"]._dunning_today()
        if today.weekday() >= 5:
            return
        for company in (
            self.env["res.company"].sudo().search([("dunning_digest_mode", "!=", "none")])
        ):
            self.with_company(company)._dunning_send_digests(company, today)

    @api.model
    def _dunning_next_working_day(self, today):
        day = today + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    @api.model
    def _dunning_previous_working_day(self, today):
        day = today - timedelta(days=1)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return day

    @api.model
    def _dunning_collect(self, company, today):
        """What each responsible has to look at.

        :return: {res.users: {section: recordset}}
        """
        Reminder = self.env["dunning.reminder"].sudo()
        Move = self.env["account.move"].sudo()
        items = defaultdict(dict)

        def add(section, records, user_of):
            for user, group in records.grouped(user_of).items():
                if user:
                    items[user][section] = group

        reminder_domain = [("company_id", "=", company.id)]
        add(
            "to_send",
            Reminder.search(reminder_domain + [("state", "=", "draft")]),
            lambda r: r.user_id,
        )
        add(
            "failures",
            Reminder.search(
                reminder_domain
                + [
                    ("has_channel_error", "=", True),
                    ("state", "!=", "cancelled"),
                    ("date", ">=", today - timedelta(days=7)),
                ]
            ),
            lambda r: r.user_id,
        )
        if "to_post" in dict(Reminder._fields["letter_status"].selection):
            add(
                "letters",
                Reminder.search(reminder_domain + [("letter_status", "=", "to_post")]),
                lambda r: r.user_id,
            )

        def responsible(move):
            partner = move.commercial_partner_id
            return partner.dunning_responsible_id or partner.user_id

        next_day = self._dunning_next_working_day(today)
        paused = Move.search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("dunning_state", "=", "paused"),
                ("dunning_paused_until", "!=", False),
                ("dunning_paused_until", "<=", next_day),
            ]
        )
        add("promises", paused.filtered(lambda m: m.dunning_pause_reason == "promise"), responsible)
        add("pauses", paused.filtered(lambda m: m.dunning_pause_reason != "promise"), responsible)
        add(
            "litigation",
            Move.search(
                [
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("dunning_state", "=", "litigation"),
                    ("dunning_last_date", ">=", self._dunning_previous_working_day(today)),
                ]
            ),
            responsible,
        )
        return items

    @api.model
    def _dunning_send_digests(self, company, today):
        """Send their digest to the responsibles who have something today.

        :return: {res.users: activity or mail.mail}
        """
        sent = {}
        for user, sections in self._dunning_collect(company, today).items():
            if not user.active or not user._is_internal():
                continue
            lang = user.lang or company.partner_id.lang
            body = (
                self.env["ir.qweb"]
                .with_context(lang=lang)
                ._render(
                    "dunning_scenario.dunning_digest_body",
                    {"sections": sections, "user": user, "company": company, "today": today},
                )
            )
            subject = self.with_context(lang=lang).env._(
                "Payment reminders of %(date)s", date=fields.Date.to_string(today)
            )
            if company.dunning_digest_mode == "email":
                if not user.email:
                    continue
                sent[user] = (
                    self.env["mail.mail"]
                    .sudo()
                    .create(
                        {
                            "subject": subject,
                            "body_html": body,
                            "email_to": user.email_formatted,
                            "email_from": company.email_formatted or user.email_formatted,
                            "auto_delete": True,
                        }
                    )
                )
            else:
                sent[user] = user.partner_id.sudo().activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=today,
                    summary=subject,
                    note=body,
                    user_id=user.id,
                )
        return sent
