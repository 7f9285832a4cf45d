# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .dunning_invoice_plan import PAID_STATES, PLAN_FIELDS
from .dunning_plan import plan, plan_levels

# Formal-notice dates an accountant may set by hand (a notice posted on paper,
# its acknowledgement of receipt); the chatter keeps every change.
FORMAL_NOTICE_FIELDS = {"dunning_formal_notice_date", "dunning_formal_notice_ack_date"}


class AccountMove(models.Model):
    _inherit = "account.move"

    # The daily run reads the open invoices customer by customer.
    commercial_partner_id = fields.Many2one(index=True)
    dunning_level_id = fields.Many2one(
        "dunning.level",
        string="Reminder Level",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="Last reminder level reached by this invoice.",
    )
    # The planning and the status live in a narrow table of their own
    # (models/dunning_invoice_plan.py): the daily run rewrites them every day.
    dunning_plan_id = fields.Many2one(
        "dunning.invoice.plan", string="Reminder Plan", copy=False, readonly=True
    )
    dunning_next_level_id = fields.Many2one(
        related="dunning_plan_id.next_level_id", string="Next Reminder Level"
    )
    dunning_last_date = fields.Date(string="Last Reminder", copy=False, readonly=True)
    dunning_next_date = fields.Date(related="dunning_plan_id.next_date", string="Next Reminder")
    dunning_checked_date = fields.Date(
        related="dunning_plan_id.checked_date", string="Reminder Check Date"
    )
    dunning_count = fields.Integer(string="Reminders Sent", copy=False, readonly=True, default=0)
    dunning_skip_reason = fields.Char(
        related="dunning_plan_id.skip_reason",
        string="Not Reminded Because",
        help="Why the last daily run did not remind this overdue invoice (no scenario, "
        "customer archived or excluded, credits covering what is owed...).",
    )
    dunning_state = fields.Selection(related="dunning_plan_id.state", string="Reminder Status")
    dunning_paused_until = fields.Date(
        string="Reminders Paused Until", copy=False, readonly=True, index="btree_not_null"
    )
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
        string="Formal Notice Sent",
        copy=False,
        help="Day the formal notice (mise en demeure) for this invoice was sent: set "
        "when a formal-notice reminder is sent, or by an accountant for a notice sent "
        "another way.",
    )
    dunning_formal_notice_ack_date = fields.Date(
        string="Formal Notice Received",
        copy=False,
        help="Day the customer received the formal notice (acknowledgement of receipt "
        "of the registered letter). A consumer's legal interest runs from this day, "
        "else from the day the notice was sent.",
    )
    dunning_is_penalty_invoice = fields.Boolean(
        string="Penalty Invoice",
        copy=False,
        readonly=True,
        help="Invoice of late-payment interest and flat indemnities: it never bears "
        "interest or a flat indemnity of its own.",
    )
    dunning_paid_late_ids = fields.One2many(
        "dunning.paid.late", "move_id", string="Paid Late", readonly=True
    )
    dunning_penalty_line_ids = fields.One2many(
        "account.move.line",
        "dunning_penalty_source_id",
        string="Penalty Invoice Lines",
        readonly=True,
    )
    dunning_thanked = fields.Boolean(
        string="Thanked for Payment",
        copy=False,
        readonly=True,
        help="The thank-you for the payment of this reminded invoice was handled (sent, "
        "or the reason it could not be noted in the chatter): it is never sent twice.",
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
        """Today for the reminders: the user's date, or the ``dunning_today``
        context key when server code (tests, tools) sets it to a ``date``.
        Anything else there is ignored: a client can put a string in the
        context over JSON-RPC, or a ``datetime`` over XML-RPC, never a ``date``.
        """
        today = self.env.context.get("dunning_today")
        if type(today) is date:  # noqa: E721 - a datetime is a date subclass
            return today
        return fields.Date.context_today(self)

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
            UPDATE dunning_invoice_plan p
               SET next_date = NULL, checked_date = NULL, next_level_id = NULL
              FROM account_move m
             WHERE m.id = p.move_id
               AND m.move_type = 'out_invoice' AND m.state = 'posted'
               AND m.payment_state NOT IN %s
               AND (p.next_date IS NOT NULL OR p.checked_date IS NOT NULL
                    OR p.next_level_id IS NOT NULL)
        """
        params = [PAID_STATES]
        if companies is not None:
            query += " AND m.company_id = ANY(%s)"
            params.append(companies.ids)
        if partners is not None:
            query += " AND m.commercial_partner_id = ANY(%s)"
            params.append(partners.ids)
        self.env.flush_all()
        self.env.cr.execute(query, params)
        self.env["dunning.invoice.plan"].invalidate_model(
            ["next_date", "checked_date", "next_level_id"]
        )
        # What decides the scenario decides the debtor type, hence the limitation.
        self._dunning_recompute_prescription(companies, partners)
        cron = self.env.ref("dunning_scenario.ir_cron_dunning_process", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    def _dunning_plan(self, levels, scenario, today):
        """Decide what happens to this invoice today (the rule is
        dunning_plan.plan, which the daily run applies to plain values).

        :param levels: the scenario's levels, in order
        :return: (level to remind today or False, next date, next level)
        """
        self.ensure_one()
        by_id = {level.id: level for level in levels}
        target, next_date, next_level = plan(
            plan_levels(levels),
            today,
            self.invoice_date_due or self.invoice_date or today,
            self.dunning_level_id.delay_days if self.dunning_level_id else None,
            self.dunning_last_date or None,
            self.dunning_formal_notice_date or None,
            scenario.min_interval_days,
            self.company_id.dunning_formal_notice_days,
        )
        return (
            by_id[target.id] if target else False,
            next_date or False,
            by_id[next_level.id] if next_level else False,
        )

    def _dunning_write(self, vals):
        """Write reminder bookkeeping (the ``dunning_*`` fields) on invoices.

        These fields are not accounting data: they go through the ORM's own write
        (stored computes still follow), not account.move's, whose balance checks,
        dynamic-line synchronisation and "manually modified" flag would cost several
        queries per invoice and mark every reminded invoice as edited by hand.
        """
        wrong = [fname for fname in vals if not fname.startswith("dunning_")]
        if wrong:
            raise ValueError(f"_dunning_write only writes dunning fields, not {wrong}")
        plan_vals = {PLAN_FIELDS[fname]: vals[fname] for fname in vals if fname in PLAN_FIELDS}
        if plan_vals:
            self._dunning_get_plans().write(plan_vals)
            vals = {fname: value for fname, value in vals.items() if fname not in PLAN_FIELDS}
        if vals:
            models.Model.write(self, vals)
        return True

    def _dunning_get_plans(self):
        """The reminder plans of these customer invoices, made if missing
        (bookkeeping: written as superuser once the caller checked its rights)."""
        missing = self.filtered(lambda move: not move.dunning_plan_id)
        if missing:
            self.env["dunning.invoice.plan"].sudo()._dunning_create_missing(missing.ids)
        return self.sudo().dunning_plan_id

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        invoices = moves.filtered(lambda move: move.move_type == "out_invoice")
        if invoices:
            self.env["dunning.invoice.plan"].sudo()._dunning_create_missing(invoices.ids)
        return moves

    def _dunning_apply_level(self, lines_by_move, today):
        """Record that the reminder lines were sent (or marked as reminded) today.

        A formal notice claims every overdue invoice it lists, not only those
        reaching its level: each of them gets the formal-notice date (for a
        consumer, legal interest runs from it)."""
        date = today
        notices = (
            self.env["dunning.reminder.line"]
            .union(*lines_by_move.values())
            .reminder_id.filtered("level_id.is_formal_notice")
        )
        also_claimed = notices.other_line_ids.filtered(
            lambda line: line.kind == "overdue" and not line.move_id.dunning_formal_notice_date
        ).move_id
        if also_claimed:
            also_claimed._dunning_write({"dunning_formal_notice_date": date})
        for move in self:
            line = lines_by_move[move.id]
            level = line.level_id
            vals = {
                "dunning_level_id": level.id,
                "dunning_last_date": date,
                "dunning_count": move.dunning_count + 1,
                "dunning_checked_date": today,
            }
            notice = level.is_formal_notice or line.reminder_id.level_id.is_formal_notice
            if notice and not move.dunning_formal_notice_date:
                vals["dunning_formal_notice_date"] = date
            move._dunning_write(vals)
            scenario = level.scenario_id
            target, next_date, next_level = move._dunning_plan(
                scenario._get_sorted_levels(), scenario, today
            )
            if target:
                # A further level is already due (no minimum interval): at most one
                # reminder a day, so the next run of tomorrow.
                next_date, next_level = today + timedelta(days=1), target
            move._dunning_write(
                {
                    "dunning_next_date": next_date,
                    "dunning_next_level_id": next_level.id if next_level else False,
                }
            )

    def _dunning_get_installments(self):
        """What each invoice asked to be paid and when, with what was paid and when,
        for the late-payment interest (see _dunning_read_installments)."""
        return self._dunning_read_installments(self.ids)

    @api.model
    def _dunning_read_installments(self, move_ids):
        """What each invoice asked to be paid and when, with what was paid and when
        (two queries for all the invoices, no record read), for the late-payment
        interest.

        :return: {move id: [(due date, amount, [(payment date, amount paid)])]},
                 amounts in the invoice's currency, one item per installment in
                 the order of their due dates
        """
        if not move_ids:
            return {}
        self.env["account.move.line"].flush_model(
            ["move_id", "display_type", "amount_currency", "date_maturity", "date"]
        )
        self.flush_model(["invoice_date_due"])
        terms = self.env.execute_query(
            SQL(
                """
                SELECT line.id, line.move_id,
                       COALESCE(
                           line.date_maturity,
                           (SELECT invoice_date_due FROM account_move WHERE id = line.move_id)
                       ),
                       line.amount_currency
                  FROM account_move_line line
                 WHERE line.move_id = ANY(%s)
                   AND line.display_type = 'payment_term'
                   AND line.amount_currency > 0
                 ORDER BY COALESCE(line.date_maturity, line.date), line.id
                """,
                list(move_ids),
            )
        )
        paid = {}
        if terms:
            self.env["account.partial.reconcile"].flush_model(
                ["debit_move_id", "credit_move_id", "debit_amount_currency"]
            )
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT part.debit_move_id, counterpart.date, part.debit_amount_currency
                      FROM account_partial_reconcile part
                      JOIN account_move_line counterpart ON counterpart.id = part.credit_move_id
                     WHERE part.debit_move_id = ANY(%s)
                     ORDER BY part.id
                    """,
                    [term[0] for term in terms],
                )
            )
            for line_id, day, amount in rows:
                if amount:
                    paid.setdefault(line_id, []).append((day, amount))
        result = {}
        for line_id, move_id, due, amount in terms:
            result.setdefault(move_id, []).append((due, amount, paid.get(line_id, [])))
        return result

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
        self._dunning_write({"dunning_pause_reason": reason, "dunning_paused_until": until})
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
        paused._dunning_write(
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
        self._dunning_write({"dunning_excluded": True})
        self._dunning_log(self.env._("Invoice excluded from reminders."))
        return True

    def action_dunning_include(self):
        self._dunning_write(
            {"dunning_excluded": False, "dunning_next_date": False, "dunning_checked_date": False}
        )
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
            names = ", ".join(
                self.filtered(lambda m, p=partner: m.commercial_partner_id == p).mapped("name")
            )
            partner_bodies[partner.id] = f"{names}: {body}"
        partners._message_log_batch(partner_bodies)

    @api.model
    def _dunning_resume_expired_pauses(self, today):
        """Pauses end by themselves on their date."""
        expired = self.search(
            [
                ("dunning_pause_reason", "!=", False),
                ("dunning_paused_until", "!=", False),
                ("dunning_paused_until", "<=", today),
            ]
        )
        if expired:
            expired._dunning_write(
                {
                    "dunning_pause_reason": False,
                    "dunning_paused_until": False,
                    "dunning_next_date": False,
                    "dunning_checked_date": False,
                }
            )
            expired._dunning_log(self.env._("The pause of reminders has ended."))
        return expired

    # ------------------------------------------------------------------
    # Thank-you after payment
    # ------------------------------------------------------------------

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        self._dunning_send_thank_you()
        self.env["dunning.paid.late"]._dunning_update(self)
        return res

    def _dunning_send_thank_you(self):
        """Thank the customer, once, for paying an invoice that was reminded, when
        its scenario asks for it. A failure is noted on the invoice and never
        stops the payment."""
        to_thank = self.filtered(
            lambda m: m.move_type == "out_invoice"
            and not m.dunning_thanked
            and (m.dunning_count or m.dunning_level_id)
        )
        thanked = self.browse()
        for move in to_thank:
            scenario = move.dunning_level_id.scenario_id or move.dunning_scenario_id
            template = scenario.thank_you_template_id
            if not scenario.thank_you or not template:
                continue
            thanked |= move
            if not (move.partner_id.email or move.commercial_partner_id.email):
                move._message_log(
                    body=self.env._("No thank-you email: the customer has no email address.")
                )
                continue
            try:
                with self.env.cr.savepoint():
                    # "Your Invoice" in the email header, in the customer's language.
                    description = move.with_context(lang=move.partner_id.lang).type_name
                    move.with_context(model_description=description).message_post_with_source(
                        template,
                        message_type="comment",
                        subtype_xmlid="mail.mt_comment",
                        force_send=False,
                    )
            except UserError as error:
                move._message_log(
                    body=self.env._(
                        "The thank-you email could not be sent: %(reason)s", reason=str(error)
                    )
                )
        if thanked:
            thanked._dunning_write({"dunning_thanked": True})

    # ------------------------------------------------------------------
    # Formal notice dates, penalty invoices
    # ------------------------------------------------------------------

    def write(self, vals):
        notice_changed = FORMAL_NOTICE_FIELDS & set(vals)
        if notice_changed:
            self._dunning_check_formal_notice_dates(vals)
            before = {
                move.id: (move.dunning_formal_notice_date, move.dunning_formal_notice_ack_date)
                for move in self
            }
        res = super().write(vals)
        if vals.get("move_type") == "out_invoice":
            # A draft switched into a customer invoice gets its reminder plan.
            self.env["dunning.invoice.plan"].sudo()._dunning_create_missing(self.ids)
        if notice_changed:
            self._dunning_log_formal_notice_dates(before)
            # Consumers' interest starts from these dates: reminders still to send follow.
            self.env["dunning.reminder.line"]._dunning_recompute_draft_penalties(moves=self)
        return res

    def _dunning_log_formal_notice_dates(self, before):
        """Keep each change of the formal-notice dates in the invoice's chatter
        (explicitly, whatever the tracking context)."""

        def text(day):
            return fields.Date.to_string(day) if day else "-"

        bodies = {}
        for move in self:
            old_sent, old_received = before[move.id]
            if (old_sent, old_received) == (
                move.dunning_formal_notice_date,
                move.dunning_formal_notice_ack_date,
            ):
                continue
            bodies[move.id] = self.env._(
                "Formal notice dates changed by %(user)s: sent %(old_sent)s → %(sent)s, "
                "received %(old_received)s → %(received)s.",
                user=self.env.user.name,
                old_sent=text(old_sent),
                sent=text(move.dunning_formal_notice_date),
                old_received=text(old_received),
                received=text(move.dunning_formal_notice_ack_date),
            )
        if bodies:
            self.browse(bodies)._message_log_batch(bodies)

    def _dunning_check_formal_notice_dates(self, vals):
        if not self.env.su and not self.env.user.has_group("account.group_account_invoice"):
            raise UserError(self.env._("Only an accountant can set the formal notice dates."))
        for move in self:
            sent = vals.get("dunning_formal_notice_date", move.dunning_formal_notice_date)
            received = vals.get(
                "dunning_formal_notice_ack_date", move.dunning_formal_notice_ack_date
            )
            sent, received = fields.Date.to_date(sent), fields.Date.to_date(received)
            if received and not sent:
                raise UserError(
                    self.env._(
                        "%(invoice)s: enter the day the formal notice was sent before the day "
                        "it was received.",
                        invoice=move.display_name,
                    )
                )
            if sent and received and received < sent:
                raise UserError(
                    self.env._(
                        "%(invoice)s: the formal notice cannot be received before it was sent.",
                        invoice=move.display_name,
                    )
                )

    def _dunning_get_invoiced_penalties(self, posted_only=False):
        """What was already invoiced of the penalties of these invoices, on penalty
        invoices not cancelled (only posted ones with ``posted_only``).

        :return: {move id: (interest in the invoice's currency, indemnity in the
                 company's currency)}
        """
        if not self:
            return {}
        states = ("posted",) if posted_only else ("draft", "posted")
        groups = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                [
                    ("dunning_penalty_source_id", "in", self.ids),
                    ("parent_state", "in", states),
                    ("display_type", "=", "product"),
                ],
                ["dunning_penalty_source_id", "dunning_penalty_kind", "currency_id"],
                ["price_subtotal:sum"],
            )
        )
        result = {}
        for source, kind, currency, amount in groups:
            interest, indemnity = result.get(source.id, (0.0, 0.0))
            if kind == "interest":
                interest += currency._convert(
                    amount, source.currency_id, source.company_id, self._dunning_today()
                )
            else:
                indemnity += currency._convert(
                    amount, source.company_id.currency_id, source.company_id, self._dunning_today()
                )
            result[source.id] = (interest, indemnity)
        return result
