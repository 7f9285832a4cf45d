# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import is_html_empty

# The parts of a letter a level words, in the order they are printed.
LETTER_PARTS = ("subject", "opening", "body", "closing")

# Where a level without its own letter text takes it: the shipped level of the
# same kind of letter (see dunning.reminder._get_dunning_letter_kind).
LETTER_STANDARD_TEXTS = {
    "courtesy": "dunning_scenario.level_business_courtesy",
    "reminder": "dunning_scenario.level_business_first",
    "second": "dunning_scenario.level_business_second",
    "further": "dunning_scenario.level_business_second",
    "formal_notice": "dunning_scenario.level_business_formal_notice",
    "litigation": "dunning_scenario.level_business_litigation",
}

# Placeholders a formal notice cannot do without: any one of each group.
FORMAL_NOTICE_AMOUNT = ("object.letter_amount_claimed", "object.amount_claimed")
FORMAL_NOTICE_DEADLINE = ("object.letter_pay_by_date", "object.pay_by_date")


class DunningLevel(models.Model):
    _name = "dunning.level"
    _inherit = ["mail.render.mixin"]
    _description = "Dunning Level"
    # As for email templates: the texts are trusted when rendered, and only
    # template editors may save texts with more than the plain placeholders.
    _unrestricted_rendering = True
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

    # The letter, in the company's words. Rendered on the reminder
    # (``object``) with Odoo's template engine: the plain placeholders are the
    # ``letter_*`` fields of dunning.reminder. Empty: the standard text.
    letter_subject = fields.Html(
        translate=True,
        sanitize="email_outgoing",
        render_engine="qweb",
        help="Subject line of the letter. Empty: the standard subject of this kind of letter.",
    )
    letter_opening = fields.Html(
        translate=True,
        sanitize="email_outgoing",
        render_engine="qweb",
        help="Salutation. Empty: the standard one.",
    )
    letter_body = fields.Html(
        translate=True,
        sanitize="email_outgoing",
        render_engine="qweb",
        help="What the letter asks, before the invoices. Empty: the standard text of "
        "this kind of letter.",
    )
    letter_closing = fields.Html(
        translate=True,
        sanitize="email_outgoing",
        render_engine="qweb",
        help="Closing words, before the signature. Empty: the standard ones.",
    )

    def _compute_render_model(self):
        self.render_model = "dunning.reminder"

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

    # ------------------------------------------------------------------
    # Letter texts
    # ------------------------------------------------------------------

    def _get_dunning_letter_kind(self):
        """Which letter this level calls for, from the gentlest to the firmest:
        ``courtesy`` (before the due date), ``reminder``, ``second``,
        ``further``, ``formal_notice``, ``litigation``."""
        self.ensure_one()
        if self.is_litigation:
            return "litigation"
        if self.is_formal_notice:
            return "formal_notice"
        if self.delay_days < 0:
            return "courtesy"
        earlier = self.scenario_id._get_sorted_levels().filtered(
            lambda lvl: (
                0 <= lvl.delay_days < self.delay_days
                and not lvl.is_formal_notice
                and not lvl.is_litigation
            )
        )
        return ("reminder", "second")[len(earlier)] if len(earlier) < 2 else "further"

    def _get_dunning_letter_standard_level(self):
        """The shipped level whose texts this level uses where it has none."""
        self.ensure_one()
        xmlid = LETTER_STANDARD_TEXTS[self._get_dunning_letter_kind()]
        standard = self.env.ref(xmlid, raise_if_not_found=False)
        return standard.sudo() if standard else self.browse()

    def _get_dunning_letter_sources(self):
        """{part: level holding the text printed for that part}: this level
        where it has a text, else the standard level of its kind."""
        self.ensure_one()
        standard = self._get_dunning_letter_standard_level()
        sources = {}
        for part in LETTER_PARTS:
            fname = f"letter_{part}"
            if not is_html_empty(self[fname]) or not standard:
                sources[part] = self
            else:
                sources[part] = standard.with_context(lang=self.env.lang)
        return sources

    @api.model
    def _get_dunning_letter_languages(self):
        return [code for code, __ in self.env["res.lang"].get_installed()]

    @api.constrains(
        "is_formal_notice",
        "letter_subject",
        "letter_opening",
        "letter_body",
        "letter_closing",
    )
    def _check_formal_notice_letter(self):
        """A formal notice must say so and state the amount and the deadline:
        the words "mise en demeure" in its French text, the amount claimed and
        the pay-by date placeholders in every language."""
        for level in self.filtered("is_formal_notice"):
            missing = {}
            for lang in self._get_dunning_letter_languages():
                level_lang = level.with_context(lang=lang)
                parts = [
                    source[f"letter_{part}"]
                    for part, source in level_lang._get_dunning_letter_sources().items()
                ]
                if all(is_html_empty(part) for part in parts):
                    # No text anywhere yet (the shipped levels while the module
                    # installs): nothing to check.
                    continue
                text = " ".join(str(part or "") for part in parts)
                words = " ".join(text.lower().split())
                if lang.startswith("fr") and "mise en demeure" not in words:
                    missing.setdefault(
                        self.env._('the words "mise en demeure" (French text)'), True
                    )
                if not any(placeholder in text for placeholder in FORMAL_NOTICE_AMOUNT):
                    missing.setdefault(self.env._("the amount claimed"), True)
                if not any(placeholder in text for placeholder in FORMAL_NOTICE_DEADLINE):
                    missing.setdefault(self.env._("the deadline to pay"), True)
            if missing:
                raise ValidationError(
                    self.env._(
                        "The letter of formal notice %(level)s must contain %(missing)s. "
                        "Add the missing words or placeholders to its subject, opening, body "
                        "or closing.",
                        level=level.display_name,
                        missing=", ".join(missing),
                    )
                )

    def action_load_standard_letter(self):
        """Copy the standard texts of this kind of letter, in every language,
        so that the company can start from them."""
        for level in self:
            standard = level._get_dunning_letter_standard_level()
            if not standard or standard == level:
                continue
            for lang in self._get_dunning_letter_languages():
                level.with_context(lang=lang).write(
                    {
                        f"letter_{part}": standard.with_context(lang=lang)[f"letter_{part}"]
                        for part in LETTER_PARTS
                    }
                )
        return True

    def action_preview_letter(self):
        """Show the letter of this level for a sample customer: its latest
        reminder at this level, else in this scenario, else in the company."""
        self.ensure_one()
        Reminder = self.env["dunning.reminder"]
        reminder = Reminder
        for domain in (
            [("level_id", "=", self.id)],
            [("scenario_id", "=", self.scenario_id.id)],
            [("company_id", "=", self.company_id.id)],
        ):
            reminder = Reminder.search(domain, order="date desc, id desc", limit=1)
            if reminder:
                break
        if not reminder:
            raise UserError(
                self.env._(
                    "There is no reminder yet to preview this letter on: the preview uses "
                    "a customer of a prepared reminder. Run the reminders first."
                )
            )
        action = self.env.ref("dunning_scenario.dunning_letter_report").report_action(
            reminder, data={"reminder_ids": reminder.ids, "preview_level_id": self.id}
        )
        action["report_type"] = "qweb-html"
        return action

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
