# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Preview of the daily run: the run's own code is executed for the chosen date
inside a savepoint that is always rolled back, so the preview shows exactly what
the run would create, and nothing is kept."""

import contextlib
from datetime import timedelta

from odoo import api, fields, models


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    @api.model_create_multi
    def create(self, vals_list):
        if self.env.context.get("dunning_preview"):
            # A preview draws no number from the reminders' sequence.
            for vals in vals_list:
                vals["name"] = self.env._("Preview")
        return super().create(vals_list)

    @api.model
    def _dunning_simulate_run(self, day, companies):
        """What the daily run would create on ``day``, without keeping anything.

        :return: list of dicts, one per reminder the run would create
        """
        Reminder = self.with_context(dunning_today=day, dunning_preview=True)
        result = []
        with contextlib.closing(self.env.cr.savepoint()):
            Reminder.env["account.move"]._dunning_resume_expired_pauses(day)
            keys = Reminder._dunning_select_partners(companies, day, None)
            reminders = Reminder._dunning_generate(keys, day) if keys else Reminder
            for reminder in reminders:
                channels = reminder._get_dunning_requested_channels()
                if "email" in channels and not reminder.email_partner_id:
                    channels = [c for c in channels if c != "email"]
                    if "letter" not in channels:
                        channels.append("letter")
                result.append(
                    {
                        "partner_id": reminder.partner_id.id,
                        "company_id": reminder.company_id.id,
                        "scenario_id": reminder.scenario_id.id,
                        "level_id": reminder.level_id.id,
                        "user_id": reminder.user_id.id,
                        "currency_id": reminder.currency_id.id,
                        "invoice_ids": [fields.Command.set(reminder.level_line_ids.move_id.ids)],
                        "invoice_count": reminder.invoice_count,
                        "amount_reminded": reminder.amount_reminded,
                        "amount_net": reminder.amount_net,
                        "channels": ", ".join(
                            reminder._get_dunning_channel_label(channel) for channel in channels
                        ),
                        "auto_send": bool(
                            reminder.scenario_id.auto_send and not reminder.level_id.is_litigation
                        ),
                    }
                )
            self.env.flush_all()
        # Rolled back: forget whatever the ORM still holds of it.
        self.env.invalidate_all()
        return result


class DunningRunPreview(models.TransientModel):
    _name = "dunning.run.preview"
    _description = "Preview of the Daily Reminder Run"

    date = fields.Date(
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=1),
        help="Day of the run to preview.",
    )
    line_ids = fields.One2many("dunning.run.preview.line", "preview_id", readonly=True)
    previewed = fields.Boolean(readonly=True)
    reminder_count = fields.Integer(compute="_compute_totals")
    auto_send_count = fields.Integer(compute="_compute_totals")

    @api.depends("line_ids.auto_send")
    def _compute_totals(self):
        for preview in self:
            preview.reminder_count = len(preview.line_ids)
            preview.auto_send_count = len(preview.line_ids.filtered("auto_send"))

    def action_preview(self):
        self.ensure_one()
        values = self.env["dunning.reminder"]._dunning_simulate_run(self.date, self.env.companies)
        self.line_ids = [fields.Command.clear()] + [fields.Command.create(vals) for vals in values]
        self.previewed = True
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Preview of the Run"),
        }


class DunningRunPreviewLine(models.TransientModel):
    _name = "dunning.run.preview.line"
    _description = "Reminder the Daily Run Would Create"
    _order = "partner_id, id"

    preview_id = fields.Many2one("dunning.run.preview", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    scenario_id = fields.Many2one("dunning.scenario", readonly=True)
    level_id = fields.Many2one("dunning.level", string="Level", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    invoice_ids = fields.Many2many("account.move", string="Invoices Reminded", readonly=True)
    invoice_count = fields.Integer(string="Invoices", readonly=True)
    amount_reminded = fields.Monetary(string="Reminded Amount", readonly=True)
    amount_net = fields.Monetary(string="Net Amount Due", readonly=True)
    channels = fields.Char(readonly=True)
    auto_send = fields.Boolean(
        string="Sent by the Run",
        readonly=True,
        help="The scenario sends its reminders automatically: the run sends this one; "
        "otherwise it waits in To Remind.",
    )
