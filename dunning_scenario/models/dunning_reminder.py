# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from .account_move import PAID_STATES

_logger = logging.getLogger(__name__)

# Fields an accountant may still change once a reminder is sent (chatter and
# activity bookkeeping); everything else is the proof of what was sent.
SENT_WRITABLE_FIELDS = {
    "message_main_attachment_id",
    "activity_ids",
    "message_follower_ids",
    "message_ids",
}

CREATE_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}


class DunningReminder(models.Model):
    _name = "dunning.reminder"
    _description = "Payment Reminder"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True, check_company=True
    )
    scenario_id = fields.Many2one(
        "dunning.scenario", required=True, index=True, readonly=True, check_company=True
    )
    level_id = fields.Many2one(
        "dunning.level",
        required=True,
        index=True,
        readonly=True,
        check_company=True,
        help="Highest level among the reminded invoices: its channels and templates are used.",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id", store=True)
    date = fields.Date(required=True, readonly=True, index=True, copy=False)
    state = fields.Selection(
        [("draft", "To remind"), ("sent", "Sent"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
        copy=False,
    )
    reminded_by = fields.Selection(
        [("send", "Sent"), ("mark", "Marked as reminded")],
        readonly=True,
        copy=False,
        help="Whether the messages were sent by Odoo or the reminder was done outside "
        "(letter posted by hand, phone call) and only marked as reminded.",
    )
    auto_send = fields.Boolean(related="scenario_id.auto_send")
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        index=True,
        tracking=True,
        default=lambda self: self.env.user,
    )
    line_ids = fields.One2many("dunning.reminder.line", "reminder_id", string="Lines", readonly=True)
    level_line_ids = fields.One2many(
        "dunning.reminder.line",
        "reminder_id",
        string="Reminded Invoices",
        domain=[("kind", "=", "level")],
        readonly=True,
    )
    other_line_ids = fields.One2many(
        "dunning.reminder.line",
        "reminder_id",
        string="Also Outstanding",
        domain=[("kind", "!=", "level")],
        readonly=True,
    )
    invoice_count = fields.Integer(compute="_compute_amounts", store=True)
    amount_reminded = fields.Monetary(
        string="Reminded Amount",
        compute="_compute_amounts",
        store=True,
        help="Left to pay on the invoices reaching a level with this reminder.",
    )
    amount_overdue = fields.Monetary(
        string="Total Left to Pay",
        compute="_compute_amounts",
        store=True,
        help="Left to pay on all the customer's listed invoices.",
    )
    amount_credit = fields.Monetary(
        string="Credits",
        compute="_compute_amounts",
        store=True,
        help="Credit notes and payments not yet matched with an invoice.",
    )
    amount_net = fields.Monetary(
        string="Net Amount Due",
        compute="_compute_amounts",
        store=True,
        help="Total left to pay minus the credits.",
    )
    oldest_due_date = fields.Date(compute="_compute_amounts", store=True)
    previous_date = fields.Date(
        string="Previous Reminder",
        readonly=True,
        help="Date of the customer's previous reminder, when this one was created.",
    )
    cancel_reason = fields.Char(readonly=True, copy=False)
    auto_send_failed = fields.Boolean(
        readonly=True,
        copy=False,
        help="The automatic run could not send this reminder; the reason is in its "
        "chatter. It waits for an accountant.",
    )

    @api.depends("line_ids.kind", "line_ids.amount_residual_company", "line_ids.date_due")
    def _compute_amounts(self):
        for reminder in self:
            level_lines = reminder.line_ids.filtered(lambda line: line.kind == "level")
            debit_lines = reminder.line_ids.filtered(lambda line: line.kind != "credit")
            credit_lines = reminder.line_ids - debit_lines
            reminder.invoice_count = len(level_lines)
            reminder.amount_reminded = sum(level_lines.mapped("amount_residual_company"))
            reminder.amount_overdue = sum(debit_lines.mapped("amount_residual_company"))
            reminder.amount_credit = -sum(credit_lines.mapped("amount_residual_company"))
            reminder.amount_net = reminder.amount_overdue - reminder.amount_credit
            due_dates = [d for d in debit_lines.mapped("date_due") if d]
            reminder.oldest_due_date = min(due_dates) if due_dates else False

    @api.depends("partner_id", "name")
    def _compute_display_name(self):
        for reminder in self:
            reminder.display_name = (
                f"{reminder.name} - {reminder.partner_id.name}" if reminder.partner_id else reminder.name
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = (
                    self.env["ir.sequence"].with_company(company).next_by_code("dunning.reminder")
                    or "/"
                )
        return super().create(vals_list)

    def write(self, vals):
        if set(vals) - SENT_WRITABLE_FIELDS and any(r.state == "sent" for r in self):
            if not self.env.context.get("dunning_allow_sent_write"):
                raise UserError(
                    self.env._(
                        "A sent reminder is the record of what the customer received: "
                        "it cannot be changed."
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        if any(reminder.state == "sent" for reminder in self):
            raise UserError(
                self.env._("A sent reminder cannot be deleted: it is the proof of what was sent.")
            )

    # ------------------------------------------------------------------
    # User actions
    # ------------------------------------------------------------------

    def _check_draft(self):
        not_draft = self.filtered(lambda r: r.state != "draft")
        if not_draft:
            raise UserError(
                self.env._(
                    "Only reminders still to remind can be processed; these are not: %(names)s",
                    names=", ".join(not_draft.mapped("name")),
                )
            )

    def action_send(self):
        """Send the reminders through the channels of their level."""
        self._check_draft()
        to_send = self._dunning_refresh()
        to_send._dunning_send_channels()
        to_send._dunning_done("send")
        return True

    def action_mark_reminded(self):
        """Advance the invoices by one level without sending anything (the
        accountant reminded the customer another way)."""
        self._check_draft()
        to_mark = self._dunning_refresh()
        to_mark._dunning_done("mark")
        return True

    def action_cancel(self):
        self._check_draft()
        self._dunning_cancel(self.env._("Cancelled by %(user)s.", user=self.env.user.name))
        return True

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("id", "in", self.line_ids.move_id.ids)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------

    def _dunning_refresh(self):
        """Update the amounts of draft reminders before sending; drop the invoices
        paid since the reminder was made, and cancel the reminders left empty.

        :return: the reminders still to send
        """
        self.line_ids.move_id.invalidate_recordset(["payment_state", "amount_residual"])
        today = self.env["account.move"]._dunning_today()
        for reminder in self:
            settled = reminder.line_ids.filtered(
                lambda line: line.move_id
                and line.kind != "credit"
                and (line.move_id.payment_state in PAID_STATES or line.move_id.amount_residual <= 0)
            )
            if settled:
                dropped = settled.filtered(lambda line: line.kind == "level").move_id
                settled.unlink()
                if dropped:
                    reminder._message_log(
                        body=self.env._(
                            "Paid since the reminder was prepared, removed from it: %(names)s",
                            names=", ".join(dropped.mapped("name")),
                        )
                    )
            for line in reminder.line_ids.filtered(lambda line: line.kind != "credit" and line.move_id):
                move = line.move_id
                if line.amount_residual != move.amount_residual:
                    line.write(
                        {
                            "amount_residual": move.amount_residual,
                            "amount_residual_company": move.amount_residual_signed,
                        }
                    )
            if reminder.date != today:
                reminder.date = today
        empty = self.filtered(lambda r: not r.line_ids.filtered(lambda line: line.kind == "level"))
        empty._dunning_cancel(self.env._("Nothing left to remind: every invoice was paid."))
        return self - empty

    def _dunning_cancel(self, reason):
        self.write({"state": "cancelled", "cancel_reason": reason})
        moves = self.level_line_ids.move_id
        # The invoices are examined again at the next run of the following day.
        moves.write({"dunning_next_date": False})
        for reminder in self:
            reminder._message_log(body=reason)
        bodies = {}
        for reminder in self:
            for move in reminder.level_line_ids.move_id:
                bodies[move.id] = self.env._(
                    "Reminder %(reminder)s cancelled: %(reason)s", reminder=reminder.name, reason=reason
                )
        if bodies:
            moves._message_log_batch(bodies)

    def _dunning_send_channels(self):
        """Send the messages of each reminder. Channels modules extend this."""
        for reminder in self:
            level = reminder.level_id
            if level.send_email and level.mail_template_id:
                reminder.with_context(lang=reminder.partner_id.lang).message_post_with_source(
                    level.mail_template_id,
                    subtype_xmlid="mail.mt_comment",
                    message_type="comment",
                )

    def _dunning_done(self, method):
        """Mark the reminders as done and move their invoices to their level."""
        today = self.env["account.move"]._dunning_today()
        self.with_context(dunning_allow_sent_write=True).write(
            {"state": "sent", "reminded_by": method, "date": today}
        )
        lines = self.level_line_ids
        lines_by_move = {line.move_id.id: line for line in lines}
        lines.move_id._dunning_apply_level(lines_by_move, today)
        verb = self.env._("sent") if method == "send" else self.env._("marked as reminded")
        invoice_bodies, partner_bodies = {}, {}
        for reminder in self:
            for line in reminder.level_line_ids:
                invoice_bodies[line.move_id.id] = self.env._(
                    "Reminder %(reminder)s %(verb)s: level %(level)s.",
                    reminder=reminder.name,
                    verb=verb,
                    level=line.level_id.name,
                )
            partner_bodies.setdefault(reminder.partner_id.id, []).append(
                self.env._(
                    "Reminder %(reminder)s %(verb)s (%(level)s): %(invoices)s.",
                    reminder=reminder.name,
                    verb=verb,
                    level=reminder.level_id.name,
                    invoices=", ".join(reminder.level_line_ids.move_id.mapped("name")),
                )
            )
        lines.move_id._message_log_batch(invoice_bodies)
        self.partner_id._message_log_batch(
            {pid: " ".join(texts) for pid, texts in partner_bodies.items()}
        )
        if method == "mark":
            for reminder in self:
                reminder._message_log(body=self.env._("Marked as reminded, nothing was sent."))

    # ------------------------------------------------------------------
    # The daily run
    # ------------------------------------------------------------------

    @api.model
    def _cron_process_dunning(self, batch_size=None):
        """Daily run: one batch per call; the cron framework calls again while
        work remains (and commits in between)."""
        if batch_size is None:
            batch_size = int(
                self.env["ir.config_parameter"].sudo().get_param("dunning_scenario.batch_size", 200)
            )
        companies = self.env["res.company"].sudo().search([])
        done, remaining = self.sudo()._dunning_run_batch(companies, batch_size)
        self._dunning_notify_progress(done, remaining)

    @api.model
    def _dunning_notify_progress(self, done, remaining):
        """The one place reporting batch progress to the cron framework."""
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if remaining and not self.env.context.get("ir_cron_progress_id"):
            self.env.ref("dunning_scenario.ir_cron_dunning_process")._trigger()

    @api.model
    def _dunning_run(self, companies=None, batch_size=200):
        """Process everything now, in one transaction (tests, small databases)."""
        companies = companies or self.env.companies
        total = 0
        while True:
            done, remaining = self._dunning_run_batch(companies, batch_size)
            total += done
            if not remaining:
                return total

    @api.model
    def _dunning_run_batch(self, companies, batch_size):
        """Do one batch of work: first create the reminders of a batch of customers,
        then, once none is left, send a batch of reminders of auto-send scenarios.

        :return: (number of items done, number of items remaining)
        """
        today = self.env["account.move"]._dunning_today()
        self.env["account.move"]._dunning_resume_expired_pauses(today)
        keys = self._dunning_select_partners(companies, today, batch_size)
        if keys:
            self._dunning_generate(keys, today)
            remaining = self._dunning_select_partners(companies, today, None, count=True)
            return len(keys), remaining + self._dunning_to_send_count(companies)
        to_send = self.search(self._get_dunning_autosend_domain(companies), limit=batch_size)
        for reminder in to_send:
            try:
                with self.env.cr.savepoint():
                    reminder.action_send()
            except Exception as error:  # noqa: BLE001 - one bad reminder must not stop the run
                _logger.warning("Reminder %s could not be sent: %s", reminder.name, error)
                reminder._message_log(
                    body=self.env._("Automatic sending failed: %(error)s", error=str(error))
                )
                reminder.with_context(dunning_allow_sent_write=True).write({"auto_send_failed": True})
        return len(to_send), self._dunning_to_send_count(companies)

    @api.model
    def _get_dunning_autosend_domain(self, companies):
        return [
            ("state", "=", "draft"),
            ("scenario_id.auto_send", "=", True),
            ("auto_send_failed", "=", False),
            ("company_id", "in", companies.ids),
            ("level_id.is_litigation", "=", False),
        ]

    @api.model
    def _dunning_to_send_count(self, companies):
        return self.search_count(self._get_dunning_autosend_domain(companies))

    @api.model
    def _dunning_select_partners(self, companies, today, limit, count=False):
        """(customer, company) pairs having invoices to examine today: one query."""
        self.env.flush_all()
        where = """
              m.move_type = 'out_invoice'
          AND m.state = 'posted'
          AND m.payment_state NOT IN %(paid)s
          AND m.amount_residual > 0
          AND m.dunning_state IN ('none', 'reminded')
          AND NOT COALESCE(m.dunning_excluded, FALSE)
          AND m.company_id = ANY(%(companies)s)
          AND (m.dunning_next_date <= %(today)s
               OR (m.dunning_next_date IS NULL
                   AND (m.dunning_checked_date IS NULL OR m.dunning_checked_date < %(today)s)))
        """
        params = {"paid": PAID_STATES, "companies": companies.ids, "today": today}
        if count:
            self.env.cr.execute(
                f"SELECT COUNT(DISTINCT (m.commercial_partner_id, m.company_id)) "
                f"FROM account_move m WHERE {where}",
                params,
            )
            return self.env.cr.fetchone()[0]
        params["limit"] = limit
        self.env.cr.execute(
            f"""
            SELECT m.commercial_partner_id, m.company_id
              FROM account_move m
             WHERE {where}
             GROUP BY m.commercial_partner_id, m.company_id
             ORDER BY m.commercial_partner_id, m.company_id
             LIMIT %(limit)s
            """,
            params,
        )
        return self.env.cr.fetchall()

    @api.model
    def _dunning_generate(self, keys, today):
        """Create the reminders of the given (customer, company) pairs."""
        Move = self.env["account.move"]
        partner_ids = list({partner_id for partner_id, __ in keys})
        company_ids = list({company_id for __, company_id in keys})
        wanted = set(keys)
        moves = Move.search(
            Move._get_dunning_open_domain()
            + [("commercial_partner_id", "in", partner_ids), ("company_id", "in", company_ids)],
            order="invoice_date_due, id",
        )
        credits = self.env["account.move.line"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("balance", "<", 0),
                ("move_id.commercial_partner_id", "in", partner_ids),
                ("company_id", "in", company_ids),
            ],
            order="date, id",
        )
        moves_by_key = defaultdict(lambda: Move)
        for move in moves:
            moves_by_key[(move.commercial_partner_id.id, move.company_id.id)] |= move
        credits_by_key = defaultdict(list)
        for line in credits:
            credits_by_key[(line.move_id.commercial_partner_id.id, line.company_id.id)].append(line)

        partners = self.env["res.partner"].browse(partner_ids)
        companies = self.env["res.company"].browse(company_ids)
        scenario_by_company = {
            company.id: partners._dunning_get_effective_scenarios(company) for company in companies
        }
        previous_dates = self._dunning_previous_dates(partner_ids)
        levels_cache = {}
        plans = defaultdict(list)  # vals -> moves
        reminder_vals = []
        for key in sorted(wanted):
            partner_id, company_id = key
            partner = partners.browse(partner_id)
            candidates = moves_by_key[key]
            examined = candidates.filtered(
                lambda m: m.dunning_state in ("none", "reminded")
                and not m.dunning_excluded
                and (
                    (m.dunning_next_date and m.dunning_next_date <= today)
                    or (
                        not m.dunning_next_date
                        and (not m.dunning_checked_date or m.dunning_checked_date < today)
                    )
                )
            )
            scenario = scenario_by_company[company_id][partner_id]
            if not scenario or partner.dunning_excluded:
                plans[(today, False, False)].extend(examined.ids)
                continue
            if scenario.id not in levels_cache:
                levels_cache[scenario.id] = scenario._get_sorted_levels()
            levels = levels_cache[scenario.id]
            targets = {}
            for move in examined:
                level, next_date, next_level = move._dunning_plan(levels, scenario, today)
                if level and move.amount_residual_signed < scenario.min_amount:
                    level, next_date, next_level = False, False, False
                if level:
                    targets[move] = level
                plans[(today, next_date or False, next_level.id if next_level else False)].append(
                    move.id
                )
            if targets:
                reminder_vals.append(
                    self._prepare_reminder_vals(
                        partner, scenario, company_id, today, targets, candidates,
                        credits_by_key[key], previous_dates.get(partner_id),
                    )
                )
        for (checked, next_date, next_level_id), move_ids in plans.items():
            Move.browse(move_ids).write(
                {
                    "dunning_checked_date": checked,
                    "dunning_next_date": next_date,
                    "dunning_next_level_id": next_level_id,
                }
            )
        reminders = self.with_context(**CREATE_CONTEXT).create(reminder_vals)
        reminders._dunning_log_created()
        return reminders

    @api.model
    def _dunning_previous_dates(self, partner_ids):
        groups = self._read_group(
            [("partner_id", "in", partner_ids), ("state", "=", "sent")],
            ["partner_id"],
            ["date:max"],
        )
        return {partner.id: date for partner, date in groups}

    @api.model
    def _prepare_reminder_vals(
        self, partner, scenario, company_id, today, targets, candidates, credit_lines, previous_date
    ):
        top_level = max(targets.values(), key=lambda level: (level.sequence, level.delay_days))
        line_commands = []
        for move, level in targets.items():
            line_commands.append(
                fields.Command.create(self._prepare_reminder_line_vals(move, today, "level", level))
            )
        for move in candidates:
            if move not in targets and move.invoice_date_due and move.invoice_date_due < today:
                line_commands.append(
                    fields.Command.create(self._prepare_reminder_line_vals(move, today, "overdue"))
                )
        for line in credit_lines:
            line_commands.append(
                fields.Command.create(
                    {
                        "kind": "credit",
                        "move_id": line.move_id.id,
                        "move_line_id": line.id,
                        "name": line.move_id.name or line.name or "/",
                        "date": line.date,
                        "currency_id": line.currency_id.id,
                        "amount_total": line.amount_currency,
                        "amount_residual": line.amount_residual_currency,
                        "amount_residual_company": line.amount_residual,
                    }
                )
            )
        return {
            "partner_id": partner.id,
            "scenario_id": scenario.id,
            "level_id": top_level.id,
            "company_id": company_id,
            "date": today,
            "user_id": (partner.dunning_responsible_id or partner.user_id).id or False,
            "previous_date": previous_date,
            "line_ids": line_commands,
        }

    @api.model
    def _prepare_reminder_line_vals(self, move, today, kind, level=False):
        return {
            "kind": kind,
            "move_id": move.id,
            "name": move.name,
            "date": move.invoice_date,
            "date_due": move.invoice_date_due,
            "days_overdue": max((today - move.invoice_date_due).days, 0) if move.invoice_date_due else 0,
            "level_id": level.id if level else False,
            "currency_id": move.currency_id.id,
            "amount_total": move.amount_total,
            "amount_residual": move.amount_residual,
            "amount_residual_company": move.amount_residual_signed,
        }

    def _dunning_log_created(self):
        invoice_bodies, partner_bodies = {}, {}
        for reminder in self:
            for line in reminder.level_line_ids:
                invoice_bodies[line.move_id.id] = self.env._(
                    "To remind at level %(level)s with %(reminder)s.",
                    level=line.level_id.name,
                    reminder=reminder.name,
                )
            partner_bodies[reminder.partner_id.id] = self.env._(
                "Reminder %(reminder)s prepared (%(level)s) for %(invoices)s.",
                reminder=reminder.name,
                level=reminder.level_id.name,
                invoices=", ".join(reminder.level_line_ids.move_id.mapped("name")),
            )
        if invoice_bodies:
            self.level_line_ids.move_id._message_log_batch(invoice_bodies)
            self.partner_id._message_log_batch(partner_bodies)
