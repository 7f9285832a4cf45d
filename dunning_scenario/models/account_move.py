# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

PAID_STATES = ("paid", "in_payment", "reversed")


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_level_id = fields.Many2one(
        "dunning.level",
        string="Reminder Level",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="Last reminder level reached by this invoice.",
    )
    dunning_next_level_id = fields.Many2one(
        "dunning.level", string="Next Reminder Level", copy=False, readonly=True
    )
    dunning_last_date = fields.Date(string="Last Reminder", copy=False, readonly=True)
    dunning_next_date = fields.Date(
        string="Next Reminder", copy=False, readonly=True, index="btree_not_null"
    )
    dunning_checked_date = fields.Date(
        string="Reminder Check Date",
        copy=False,
        readonly=True,
        help="Technical: day this invoice was last examined by the dunning run.",
    )
    dunning_count = fields.Integer(string="Reminders Sent", copy=False, readonly=True, default=0)
    dunning_state = fields.Selection(
        [
            ("none", "Not reminded"),
            ("to_remind", "To remind"),
            ("reminded", "Reminded"),
            ("paused", "Paused"),
            ("litigation", "Litigation"),
            ("paid", "Paid"),
        ],
        string="Reminder Status",
        compute="_compute_dunning_state",
        store=True,
        index=True,
        copy=False,
    )
    dunning_paused_until = fields.Date(string="Reminders Paused Until", copy=False, readonly=True)
    dunning_pause_reason = fields.Selection(
        [("dispute", "Dispute"), ("promise", "Promise to pay"), ("other", "Other")],
        string="Pause Reason",
        copy=False,
        readonly=True,
    )
    dunning_excluded = fields.Boolean(
        string="Excluded from Reminders", copy=False, readonly=True, tracking=True
    )
    dunning_formal_notice_date = fields.Date(
        string="Formal Notice Date",
        copy=False,
        readonly=True,
        help="Day the formal notice (mise en demeure) for this invoice was sent.",
    )
    dunning_reminder_line_ids = fields.One2many(
        "dunning.reminder.line", "move_id", string="Reminder Lines", readonly=True
    )
    dunning_reminder_ids = fields.Many2many(
        "dunning.reminder",
        string="Reminders",
        compute="_compute_dunning_reminder_ids",
    )
    dunning_reminder_count = fields.Integer(compute="_compute_dunning_reminder_ids")
    dunning_scenario_id = fields.Many2one(
        "dunning.scenario",
        string="Dunning Scenario",
        compute="_compute_dunning_scenario_id",
    )
    dunning_days_overdue = fields.Integer(
        string="Days Overdue", compute="_compute_dunning_days_overdue"
    )

    @api.depends(
        "move_type",
        "state",
        "payment_state",
        "dunning_level_id.is_litigation",
        "dunning_pause_reason",
        "dunning_reminder_line_ids.kind",
        "dunning_reminder_line_ids.reminder_id.state",
    )
    def _compute_dunning_state(self):
        for move in self:
            if move.payment_state in PAID_STATES:
                state = "paid"
            elif move.dunning_level_id.is_litigation:
                state = "litigation"
            elif move.dunning_pause_reason:
                state = "paused"
            elif any(
                line.kind == "level" and line.reminder_id.state == "draft"
                for line in move.dunning_reminder_line_ids
            ):
                state = "to_remind"
            elif move.dunning_level_id:
                state = "reminded"
            else:
                state = "none"
            move.dunning_state = state

    @api.depends("dunning_reminder_line_ids.reminder_id")
    def _compute_dunning_reminder_ids(self):
        for move in self:
            move.dunning_reminder_ids = move.dunning_reminder_line_ids.reminder_id
            move.dunning_reminder_count = len(move.dunning_reminder_ids)

    @api.depends("commercial_partner_id", "company_id")
    def _compute_dunning_scenario_id(self):
        for company, moves in self.grouped("company_id").items():
            scenarios = moves.commercial_partner_id._dunning_get_effective_scenarios(company)
            for move in moves:
                if move.is_sale_document(include_receipts=True) and move.commercial_partner_id:
                    move.dunning_scenario_id = scenarios[move.commercial_partner_id.id]
                else:
                    move.dunning_scenario_id = False

    @api.depends_context("dunning_today")
    @api.depends("invoice_date_due")
    def _compute_dunning_days_overdue(self):
        today = self._dunning_today()
        for move in self:
            due = move.invoice_date_due
            move.dunning_days_overdue = max((today - due).days, 0) if due else 0

    # ------------------------------------------------------------------
    # Scheduling
    # ------------------------------------------------------------------

    @api.model
    def _dunning_today(self):
        return self.env.context.get("dunning_today") or fields.Date.context_today(self)

    @api.model
    def _get_dunning_open_domain(self):
        """Customer invoices that can still be reminded."""
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "not in", PAID_STATES),
            ("amount_residual", ">", 0),
        ]

    @api.model
    def _dunning_reset_schedule(self, companies=None, partners=None):
        """Forget the planned next reminder of open invoices, so that the next run
        evaluates them again with the current configuration (one UPDATE)."""
        query = """
            UPDATE account_move
               SET dunning_next_date = NULL, dunning_checked_date = NULL,
                   dunning_next_level_id = NULL
             WHERE move_type = 'out_invoice' AND state = 'posted'
               AND payment_state NOT IN %s
        """
        params = [PAID_STATES]
        if companies is not None:
            query += " AND company_id = ANY(%s)"
            params.append(companies.ids)
        if partners is not None:
            query += " AND commercial_partner_id = ANY(%s)"
            params.append(partners.ids)
        self.env.flush_all()
        self.env.cr.execute(query, params)
        self.invalidate_model(
            ["dunning_next_date", "dunning_checked_date", "dunning_next_level_id"]
        )
        cron = self.env.ref("dunning_scenario.ir_cron_dunning_process", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    def _dunning_plan(self, levels, scenario, today):
        """Decide what happens to this invoice today.

        :param levels: the scenario's levels, in order
        :return: (level to remind today or False, next date, next level)
        """
        self.ensure_one()
        due = self.invoice_date_due or self.invoice_date or today
        overdue = today > due
        done_delay = self.dunning_level_id.delay_days if self.dunning_level_id else None
        pending = [
            level
            for level in levels
            if (done_delay is None or level.delay_days > done_delay)
            and not (level.delay_days < 0 and overdue)
        ]
        reached = [level for level in pending if due + timedelta(days=level.delay_days) <= today]
        earliest = False
        if self.dunning_last_date:
            earliest = self.dunning_last_date + timedelta(days=scenario.min_interval_days)
        target = reached[-1] if reached else False
        if target and target.is_litigation:
            notices = [level for level in reached if level.is_formal_notice]
            if notices:
                target = notices[-1]
        if target and earliest and earliest > today:
            return False, earliest, target
        if target:
            later = pending[pending.index(target) + 1 :]
            earliest = today + timedelta(days=scenario.min_interval_days)
        else:
            later = pending
        if not later:
            return target, False, False
        next_level = later[0]
        next_date = due + timedelta(days=next_level.delay_days)
        if earliest and earliest > next_date:
            next_date = earliest
        return target, next_date, next_level

    def _dunning_apply_level(self, lines_by_move, today):
        """Record that the reminder lines were sent (or marked as reminded) today."""
        date = today
        for move in self:
            line = lines_by_move[move.id]
            level = line.level_id
            vals = {
                "dunning_level_id": level.id,
                "dunning_last_date": date,
                "dunning_count": move.dunning_count + 1,
                "dunning_checked_date": today,
            }
            if level.is_formal_notice and not move.dunning_formal_notice_date:
                vals["dunning_formal_notice_date"] = date
            move.write(vals)
            scenario = level.scenario_id
            target, next_date, next_level = move._dunning_plan(
                scenario._get_sorted_levels(), scenario, today
            )
            if target:
                # A further level is already due (no minimum interval): next run.
                next_date, next_level = today, target
            move.write(
                {
                    "dunning_next_date": next_date,
                    "dunning_next_level_id": next_level.id if next_level else False,
                }
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _dunning_check_invoices(self):
        wrong = self.filtered(lambda m: m.move_type != "out_invoice" or m.state != "posted")
        if wrong:
            raise UserError(
                self.env._(
                    "Only posted customer invoices can be reminded: %(names)s",
                    names=", ".join(wrong.mapped("display_name")),
                )
            )

    def action_dunning_pause(self):
        self._dunning_check_invoices()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Pause Reminders"),
            "res_model": "dunning.invoice.pause",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_ids": self.ids},
        }

    def _dunning_pause(self, reason, until=False, note=False):
        self._dunning_check_invoices()
        self.write({"dunning_pause_reason": reason, "dunning_paused_until": until})
        label = dict(self._fields["dunning_pause_reason"]._description_selection(self.env))[reason]
        if until:
            body = self.env._(
                "Reminders paused until %(date)s (%(reason)s).",
                date=fields.Date.to_string(until),
                reason=label,
            )
        else:
            body = self.env._("Reminders paused (%(reason)s).", reason=label)
        if note:
            body = f"{body} {note}"
        self._dunning_log(body)

    def action_dunning_resume(self):
        paused = self.filtered("dunning_pause_reason")
        if not paused:
            raise UserError(self.env._("None of these invoices has its reminders paused."))
        paused.write(
            {
                "dunning_pause_reason": False,
                "dunning_paused_until": False,
                "dunning_next_date": False,
                "dunning_checked_date": False,
            }
        )
        paused._dunning_log(self.env._("Reminders resumed."))
        return True

    def action_dunning_exclude(self):
        self._dunning_check_invoices()
        self.write({"dunning_excluded": True})
        self._dunning_log(self.env._("Invoice excluded from reminders."))
        return True

    def action_dunning_include(self):
        self.write({"dunning_excluded": False, "dunning_next_date": False, "dunning_checked_date": False})
        self._dunning_log(self.env._("Invoice included in reminders again."))
        return True

    def action_view_dunning_reminders(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "dunning_scenario.dunning_reminder_action"
        )
        action["domain"] = [("id", "in", self.dunning_reminder_ids.ids)]
        action["context"] = {}
        return action

    def _dunning_log(self, body):
        """Log ``body`` on the invoices and once on each of their customers."""
        if not self:
            return
        self._message_log_batch({move.id: body for move in self})
        partners = self.commercial_partner_id
        partner_bodies = {}
        for partner in partners:
            names = ", ".join(self.filtered(lambda m, p=partner: m.commercial_partner_id == p).mapped("name"))
            partner_bodies[partner.id] = f"{names}: {body}"
        partners._message_log_batch(partner_bodies)

    @api.model
    def _dunning_resume_expired_pauses(self, today):
        """Pauses end by themselves on their date."""
        expired = self.search(
            [("dunning_pause_reason", "!=", False), ("dunning_paused_until", "!=", False), ("dunning_paused_until", "<=", today)]
        )
        if expired:
            expired.write(
                {
                    "dunning_pause_reason": False,
                    "dunning_paused_until": False,
                    "dunning_next_date": False,
                    "dunning_checked_date": False,
                }
            )
            expired._dunning_log(self.env._("The pause of reminders has ended."))
        return expired
