# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class DunningLevel(models.Model):
    _name = "dunning.level"
    _description = "Dunning Level"
    _order = "scenario_id, sequence, delay_days, id"
    _check_company_auto = True

    scenario_id = fields.Many2one("dunning.scenario", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="scenario_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    delay_days = fields.Integer(
        string="Delay (days)",
        required=True,
        help="Days after the due date when this level is reached; negative for a "
        "courtesy notice before the due date.",
    )
    send_email = fields.Boolean(string="Email", default=True)
    send_sms = fields.Boolean(string="SMS")
    send_letter = fields.Boolean(string="Letter")
    create_activity = fields.Boolean(string="Phone Call")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', 'dunning.reminder')]",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain="[('model', '=', 'dunning.reminder')]",
    )
    attach_invoices = fields.Boolean(
        help="Attach the PDF of each reminded invoice to the email.",
    )
    activity_user_id = fields.Many2one(
        "res.users",
        string="Call Responsible",
        domain="[('share', '=', False)]",
        help="Who gets the phone call activity when the customer has neither a dunning "
        "responsible nor a salesperson.",
    )
    is_formal_notice = fields.Boolean(
        string="Formal Notice",
        help="This level is the formal notice (mise en demeure). It is never skipped "
        "before litigation and starts legal interest for consumers.",
    )
    is_litigation = fields.Boolean(
        string="Litigation",
        help="Last level: the invoices are handed over for collection and no more "
        "automatic messages are sent.",
    )
    show_penalties = fields.Boolean(
        compute="_compute_show_penalties",
        store=True,
        readonly=False,
        precompute=True,
        help="State the late-payment penalties and the flat indemnity in the messages "
        "and letters of this level. Always on for a formal notice and litigation.",
    )

    @api.depends("is_formal_notice", "is_litigation")
    def _compute_show_penalties(self):
        # From the formal notice on, the claim includes the penalties: a later
        # message never claims less than the formal notice did.
        for level in self:
            level.show_penalties = (
                level.is_formal_notice or level.is_litigation or level.show_penalties
            )

    @api.depends("name", "scenario_id.name")
    @api.depends_context("dunning_level_short_name")
    def _compute_display_name(self):
        # Levels of several scenarios share names ("Second reminder"): say which.
        for level in self:
            if level.scenario_id and not self.env.context.get("dunning_level_short_name"):
                level.display_name = f"{level.scenario_id.name} / {level.name}"
            else:
                level.display_name = level.name

    @api.constrains("sequence", "delay_days", "is_litigation", "scenario_id")
    def _check_level_order(self):
        for scenario in self.scenario_id:
            levels = scenario.level_ids.sorted(lambda lvl: (lvl.sequence, lvl.id))
            for previous, level in pairwise(levels):
                if level.delay_days <= previous.delay_days:
                    raise ValidationError(
                        self.env._(
                            "In scenario %(scenario)s, level %(level)s (%(days)s days) must "
                            "come after %(previous)s (%(previous_days)s days): delays must "
                            "strictly increase from one level to the next.",
                            scenario=scenario.name,
                            level=level.name,
                            days=level.delay_days,
                            previous=previous.name,
                            previous_days=previous.delay_days,
                        )
                    )
            litigation = levels.filtered("is_litigation")
            if litigation and (len(litigation) > 1 or litigation != levels[-1]):
                raise ValidationError(
                    self.env._(
                        "In scenario %(scenario)s, the litigation level must be the last one.",
                        scenario=scenario.name,
                    )
                )

    def write(self, vals):
        res = super().write(vals)
        if {"sequence", "delay_days", "is_litigation", "is_formal_notice"} & set(vals):
            self.env["account.move"]._dunning_reset_schedule(self.company_id)
        return res

    @api.model_create_multi
    def create(self, vals_list):
        levels = super().create(vals_list)
        self.env["account.move"]._dunning_reset_schedule(levels.company_id)
        return levels
