# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily run: which customers to remind, creating their reminders, and
the automatic sending of the scenarios that send by themselves."""

import logging
import time
from collections import defaultdict
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models, tools
from odoo.modules.registry import Registry
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from .account_move import PAID_STATES
from .dunning_reminder import CREATE_CONTEXT

_logger = logging.getLogger(__name__)

# Database errors the automatic sending never takes for a reminder's failure:
# concurrency errors (serialization failure, lock not available, deadlock) and
# other operational errors, and a transaction already aborted.
DB_ERRORS_TO_PROPAGATE = (psycopg2.OperationalError, psycopg2.errors.InFailedSqlTransaction)
# Minutes before the daily run is tried again after such a conflict.
RETRY_MINUTES = 5


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

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
        try:
            done, remaining = self.sudo()._dunning_run_batch(companies, batch_size)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            self._dunning_retry_after_conflict()
            raise
        self._dunning_notify_progress(done, remaining)

    @api.model
    def _dunning_retry_after_conflict(self):
        """The batch met another transaction and is rolled back: once it is, ask
        the cron to run again in a few minutes rather than at its next daily
        call (the request is written by a transaction of its own)."""
        cron = self.env.ref("dunning_scenario.ir_cron_dunning_process", raise_if_not_found=False)
        if not cron:
            return
        dbname, cron_id = self.env.cr.dbname, cron.id
        retry_at = fields.Datetime.now() + timedelta(minutes=RETRY_MINUTES)

        @self.env.cr.postrollback.add
        def retry():
            with Registry(dbname).cursor() as cr:
                api.Environment(cr, SUPERUSER_ID, {})["ir.cron"].browse(cron_id)._trigger(retry_at)

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
            return len(keys), remaining + self._dunning_to_send_count(
                self._dunning_companies_in_sending_window(companies)
            )
        # Sending renders letters and emails: a batch stops after a time budget
        # (at least one reminder each), well inside the cron's time limit; the
        # framework calls again for what remains.
        budget = float(
            self.env["ir.config_parameter"].sudo().get_param("dunning_scenario.send_seconds", 60)
        )
        # Messages leave only inside each company's sending window; the run is
        # called again when the next window opens.
        companies = self._dunning_companies_in_sending_window(companies)
        started = time.monotonic()
        to_send = self.search(self._get_dunning_autosend_domain(companies), limit=batch_size)
        done = 0
        for reminder in to_send:
            if done and time.monotonic() - started >= budget:
                break
            done += 1
            # Check again, just before sending, that something is really owed.
            if not reminder._dunning_refresh():
                continue
            reason = reminder._get_dunning_send_blocked_reason()
            if reason:
                reminder._message_log(
                    body=self.env._("Not sent automatically: %(reason)s", reason=reason)
                )
                reminder.write({"auto_send_failed": True})
                continue
            # What is pending is written now, outside the savepoint below: a
            # conflict there is not this reminder's failure and must propagate.
            self.env.flush_all()
            try:
                with self.env.cr.savepoint():
                    # The queues are woken once for the whole batch, below.
                    reminder.with_context(dunning_defer_wake=True).action_send()
            except DB_ERRORS_TO_PROPAGATE:
                # Another transaction changed the same rows (or the database
                # failed): the whole batch rolls back and the cron runs again;
                # recording it as this reminder's failure would be untrue.
                raise
            except Exception as error:  # noqa: BLE001 - one bad reminder must not stop the run
                _logger.warning("Reminder %s could not be sent: %s", reminder.name, error)
                reminder._message_log(
                    body=self.env._("Automatic sending failed: %(error)s", error=str(error))
                )
                reminder._dunning_write_proof({"auto_send_failed": True})
        if done:
            self._dunning_wake_queues()
        return done, self._dunning_to_send_count(companies)

    @api.model
    def _dunning_companies_in_sending_window(self, companies):
        """The companies whose sending window is open now. For the others with
        reminders waiting, the run is triggered again when their window opens."""
        now = fields.Datetime.now()
        closed = companies.filtered(lambda company: not company._dunning_in_sending_window(now))
        if closed:
            waiting = self._read_group(
                self._get_dunning_autosend_domain(closed), ["company_id"], ["__count"]
            )
            if waiting:
                cron = self.env.ref("dunning_scenario.ir_cron_dunning_process")
                cron._trigger(
                    at=min(company._dunning_next_sending_window(now) for company, __ in waiting)
                )
        return companies - closed

    @api.model
    def _dunning_remind_partners(self, partners, companies=None):
        """ "Remind now": create today, as the daily run does, the reminders of
        these customers, examining all their open invoices again.

        :return: the reminders created
        """
        companies = companies or self.env.companies
        today = self.env["account.move"]._dunning_today()
        self.env["account.move"]._dunning_resume_expired_pauses(today)
        partners = partners.commercial_partner_id
        self.env["account.move"]._dunning_reset_schedule(companies=companies, partners=partners)
        keys = [
            key
            for key in self._dunning_select_partners(companies, today, None)
            if key[0] in partners.ids
        ]
        return self._dunning_generate(keys, today) if keys else self.browse()

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
        """(customer, company, currency) triples having invoices to examine today:
        one query. A customer owing in two currencies gets one reminder for each,
        so that no message mixes currencies."""
        self.env.flush_all()
        where = SQL(
            """
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
            """,
            paid=PAID_STATES,
            companies=companies.ids,
            today=today,
        )
        if count:
            self.env.cr.execute(
                SQL(
                    "SELECT COUNT(DISTINCT (m.commercial_partner_id, m.company_id, m.currency_id)) "
                    "FROM account_move m WHERE %s",
                    where,
                )
            )
            return self.env.cr.fetchone()[0]
        self.env.cr.execute(
            SQL(
                """
                SELECT m.commercial_partner_id, m.company_id, m.currency_id
                  FROM account_move m
                 WHERE %(where)s
                 GROUP BY m.commercial_partner_id, m.company_id, m.currency_id
                 ORDER BY m.commercial_partner_id, m.company_id, m.currency_id
                 LIMIT %(limit)s
                """,
                where=where,
                limit=limit,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _dunning_generate(self, keys, today):
        """Create the reminders of the given (customer, company, currency) triples.

        Every examined invoice that is not reminded gets the reason on it
        (``dunning_skip_reason``), shown on the invoice and in the overdue list.
        """
        Move = self.env["account.move"]
        partner_ids = list({key[0] for key in keys})
        company_ids = list({key[1] for key in keys})
        wanted = set(keys)
        moves = Move.search(
            Move._get_dunning_open_domain()
            + [("commercial_partner_id", "in", partner_ids), ("company_id", "in", company_ids)],
            order="invoice_date_due, id",
        )
        credit_lines = self._dunning_search_credit_lines(partner_ids, company_ids)
        moves_by_key = defaultdict(lambda: Move)
        for move in moves:
            moves_by_key[
                (move.commercial_partner_id.id, move.company_id.id, move.currency_id.id)
            ] |= move
        credits_by_key = defaultdict(list)
        for line in credit_lines:
            credits_by_key[
                (line.move_id.commercial_partner_id.id, line.company_id.id, line.currency_id.id)
            ].append(line)

        partners = self.env["res.partner"].with_context(active_test=False).browse(partner_ids)
        companies = self.env["res.company"].browse(company_ids)
        scenario_by_company = {
            company.id: partners._dunning_get_effective_scenarios(company) for company in companies
        }
        previous_dates = self._dunning_previous_dates(partner_ids)
        reminded_today = self._dunning_keys_reminded_on(partner_ids, today)
        levels_cache = {}
        plans = defaultdict(list)  # (checked, next date, next level, reason) -> move ids
        reminder_vals = []
        for key in sorted(wanted):
            partner_id, company_id, currency_id = key
            partner = partners.browse(partner_id)
            candidates = moves_by_key[key]
            examined = candidates.filtered(
                lambda m: (
                    m.dunning_state in ("none", "reminded")
                    and not m.dunning_excluded
                    and (
                        (m.dunning_next_date and m.dunning_next_date <= today)
                        or (
                            not m.dunning_next_date
                            and (not m.dunning_checked_date or m.dunning_checked_date < today)
                        )
                    )
                )
            )
            scenario = scenario_by_company[company_id][partner_id]
            reason = self._dunning_get_partner_skip_reason(partner, scenario)
            if not reason and scenario.id not in levels_cache:
                levels_cache[scenario.id] = scenario._get_sorted_levels()
            if not reason and not levels_cache[scenario.id]:
                reason = self.env._(
                    "Not reminded: the scenario %(scenario)s has no level.",
                    scenario=scenario.name,
                )
            if reason:
                plans[(today, False, False, reason)].extend(examined.ids)
                continue
            if key in reminded_today:
                # At most one reminder a day for a customer and currency: what
                # reaches a level now waits for tomorrow's run.
                plans[(today, today + timedelta(days=1), False, False)].extend(examined.ids)
                continue
            levels = levels_cache[scenario.id]
            currency = self.env["res.currency"].browse(currency_id)
            company = companies.browse(company_id)
            min_amount = company.currency_id._convert(scenario.min_amount, currency, company, today)
            targets, move_plans = {}, {}
            for move in examined:
                level, next_date, next_level = move._dunning_plan(levels, scenario, today)
                move_reason = False
                if level and currency.compare_amounts(move.amount_residual, min_amount) < 0:
                    level, next_date, next_level = False, False, False
                    move_reason = self.env._(
                        "Not reminded: left to pay (%(amount)s) below the scenario's minimum "
                        "(%(minimum)s).",
                        amount=tools.format_amount(self.env, move.amount_residual, currency),
                        minimum=tools.format_amount(self.env, min_amount, currency),
                    )
                if level:
                    targets[move] = level
                move_plans[move] = (
                    next_date or False,
                    next_level.id if next_level else False,
                    move_reason,
                )
            reason = False
            if targets:
                reason = self._dunning_get_amount_skip_reason(
                    targets, candidates, credits_by_key[key], currency, min_amount, today
                )
                if reason:
                    targets = {}
            for move, (next_date, next_level_id, move_reason) in move_plans.items():
                plans[(today, next_date, next_level_id, reason or move_reason)].append(move.id)
            if targets:
                reminder_vals.append(
                    self._prepare_reminder_vals(
                        partner,
                        scenario,
                        company_id,
                        today,
                        targets,
                        candidates,
                        credits_by_key[key],
                        previous_dates.get(partner_id),
                    )
                )
        for (checked, next_date, next_level_id, reason), move_ids in plans.items():
            Move.browse(move_ids)._dunning_write(
                {
                    "dunning_checked_date": checked,
                    "dunning_next_date": next_date,
                    "dunning_next_level_id": next_level_id,
                    "dunning_skip_reason": reason,
                }
            )
        reminders = self.with_context(**CREATE_CONTEXT).create(reminder_vals)
        reminders._dunning_log_created()
        return reminders

    @api.model
    def _dunning_get_partner_skip_reason(self, partner, scenario):
        """Why this customer's invoices are not reminded at all, or False."""
        if not partner.active:
            return self.env._("Not reminded: the customer is archived.")
        if partner.dunning_excluded:
            return self.env._("Not reminded: the customer is excluded from reminders.")
        if not scenario:
            return self.env._(
                "Not reminded: no dunning scenario applies to this customer (none on the "
                "customer, its categories or the company)."
            )
        return False

    @api.model
    def _dunning_get_amount_skip_reason(
        self, targets, candidates, credit_lines, currency, minimum, today
    ):
        """Why nothing is asked of the customer although invoices reach a level:
        what the reminder would ask (the invoices reaching a level and the other
        overdue ones, less the credits and unmatched payments) is not positive,
        or below the scenario's minimum; else False."""
        overdue = sum(
            move.amount_residual
            for move in candidates
            if move in targets or (move.invoice_date_due and move.invoice_date_due < today)
        )
        credit = -sum(line.amount_residual_currency for line in credit_lines)
        net = overdue - credit
        if currency.compare_amounts(net, 0) <= 0:
            return self.env._(
                "Not reminded: the customer's credits and unmatched payments "
                "(%(credit)s) cover its overdue invoices (%(overdue)s).",
                credit=tools.format_amount(self.env, credit, currency),
                overdue=tools.format_amount(self.env, overdue, currency),
            )
        if currency.compare_amounts(net, minimum) < 0:
            return self.env._(
                "Not reminded: the net amount due (%(net)s) is below the scenario's "
                "minimum (%(minimum)s).",
                net=tools.format_amount(self.env, net, currency),
                minimum=tools.format_amount(self.env, minimum, currency),
            )
        return False

    @api.model
    def _dunning_keys_reminded_on(self, partner_ids, day):
        """(customer, company, currency) triples already given a reminder that day."""
        groups = self._read_group(
            [("partner_id", "in", partner_ids), ("date", "=", day), ("state", "!=", "cancelled")],
            ["partner_id", "company_id", "currency_id"],
        )
        return {(partner.id, company.id, currency.id) for partner, company, currency in groups}

    @api.model
    def _dunning_search_credit_lines(self, partner_ids, company_ids):
        """Receivable lines of these customers that lower what they owe: credit
        notes and payments not fully matched with an invoice."""
        return self.env["account.move.line"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
                ("move_id.commercial_partner_id", "in", partner_ids),
                ("company_id", "in", company_ids),
            ],
            order="date, id",
        )

    @api.model
    def _prepare_reminder_credit_line_vals(self, line):
        return {
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
                fields.Command.create(self._prepare_reminder_credit_line_vals(line))
            )
        return {
            "partner_id": partner.id,
            "scenario_id": scenario.id,
            "level_id": top_level.id,
            "company_id": company_id,
            "currency_id": next(iter(targets)).currency_id.id,
            "previous_reminder_count": min(move.dunning_count for move in targets),
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
            "days_overdue": max((today - move.invoice_date_due).days, 0)
            if move.invoice_date_due
            else 0,
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
