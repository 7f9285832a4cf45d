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
from .dunning_reminder_line import PENALTY_FIELDS

_logger = logging.getLogger(__name__)

# Database errors the automatic sending never takes for a reminder's failure:
# concurrency errors (serialization failure, lock not available, deadlock) and
# other operational errors, and a transaction already aborted.
DB_ERRORS_TO_PROPAGATE = (psycopg2.OperationalError, psycopg2.errors.InFailedSqlTransaction)
# Minutes before the daily run is tried again after such a conflict.
RETRY_MINUTES = 5


class DunningRun(models.Model):
    """The record of one daily run, per company and day: when it started and
    ended, what it prepared and sent, what failed, batch by batch. It answers
    "did the reminders run last night?" without reading server logs."""

    _name = "dunning.run"
    _description = "Daily Reminder Run"
    _order = "date desc, id desc"
    _check_company_auto = True

    date = fields.Date(required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    state = fields.Selection(
        [("running", "In progress"), ("done", "Done"), ("failed", "Failed")],
        default="running",
        required=True,
        readonly=True,
        help="In progress: batches remain (the scheduled job calls itself again). Failed: "
        "the last batch stopped on an error, see below; the job tries again at its next call.",
    )
    started_at = fields.Datetime(string="Started", readonly=True)
    ended_at = fields.Datetime(string="Ended", readonly=True)
    duration = fields.Float(
        string="Duration (s)",
        digits=(16, 1),
        readonly=True,
        help="Seconds spent working in the batches, waits between them excluded.",
    )
    batch_count = fields.Integer(string="Batches", readonly=True)
    customer_count = fields.Integer(string="Customers Examined", readonly=True)
    reminder_created_count = fields.Integer(string="Reminders Prepared", readonly=True)
    reminder_sent_count = fields.Integer(string="Reminders Sent", readonly=True)
    error_count = fields.Integer(string="Errors", readonly=True)
    error_log = fields.Text(
        string="Error Log", readonly=True, help="One line per failure, newest last."
    )
    batch_log = fields.Text(string="Batch Log", readonly=True, help="One line per batch.")
    # Technical: the last (customer, company, currency) the batches examined, so
    # that each batch reads only the open invoices after it.
    next_key = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        (
            "date_company_uniq",
            "UNIQUE(date, company_id)",
            "There is one daily run record per company and day.",
        )
    ]

    @api.depends("date", "company_id")
    def _compute_display_name(self):
        for run in self:
            run.display_name = self.env._(
                "Run of %(date)s", date=fields.Date.to_string(run.date) if run.date else ""
            )

    @api.model
    def _get_today_runs(self, companies, today):
        """The run records of these companies for ``today``, created when missing.

        :return: {company id: dunning.run}
        """
        runs = self.sudo().search([("company_id", "in", companies.ids), ("date", "=", today)])
        by_company = {run.company_id.id: run for run in runs}
        missing = [company for company in companies if company.id not in by_company]
        if missing:
            now = fields.Datetime.now()
            created = self.sudo().create(
                [{"date": today, "company_id": c.id, "started_at": now} for c in missing]
            )
            by_company.update({run.company_id.id: run for run in created})
        return by_company

    def _log_batch(self, seconds, customers=None, created=None, sent=None, done=False):
        """Add one batch to these run records (one per company).

        :param customers, created, sent: {company id: count}
        """
        now = fields.Datetime.now()
        for run in self:
            company_id = run.company_id.id
            counts = {
                "customers": (customers or {}).get(company_id, 0),
                "created": (created or {}).get(company_id, 0),
                "sent": (sent or {}).get(company_id, 0),
            }
            line = self.env._(
                "%(time)s batch %(batch)s: %(customers)s customers examined, %(created)s "
                "reminders prepared, %(sent)s sent, %(seconds).1f s",
                time=fields.Datetime.to_string(now)[11:],
                batch=run.batch_count + 1,
                seconds=seconds,
                **counts,
            )
            vals = {
                "batch_count": run.batch_count + 1,
                "duration": run.duration + seconds,
                "customer_count": run.customer_count + counts["customers"],
                "reminder_created_count": run.reminder_created_count + counts["created"],
                "reminder_sent_count": run.reminder_sent_count + counts["sent"],
                "batch_log": "\n".join(filter(None, [run.batch_log, line])),
                "state": "done" if done else "running",
            }
            if done:
                vals["ended_at"] = now
            run.write(vals)

    def _log_error(self, message):
        now = fields.Datetime.to_string(fields.Datetime.now())[11:]
        for run in self:
            run.write(
                {
                    "error_count": run.error_count + 1,
                    "error_log": "\n".join(filter(None, [run.error_log, f"{now} {message}"])),
                }
            )

    def action_view_reminders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "dunning_scenario.dunning_reminder_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {"create": False}
        return action


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    run_id = fields.Many2one(
        "dunning.run",
        string="Daily Run",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The daily run that prepared this reminder.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        runs = self.env.context.get("dunning_run_ids")
        if runs:
            for vals in vals_list:
                vals.setdefault("run_id", runs.get(vals.get("company_id")))
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # The daily run
    # ------------------------------------------------------------------

    @api.model
    def _cron_process_dunning(self, batch_size=None):
        """Daily run: one batch per call; the cron framework calls again while
        work remains (and commits in between). Each batch is added to the day's
        run record of each company. A batch that fails is undone and noted
        there, with the error (also in the server log); the run then stops until
        its next scheduled call instead of failing again and again."""
        if batch_size is None:
            batch_size = int(
                self.env["ir.config_parameter"]
                .sudo()
                .get_param("dunning_scenario.batch_size", 1000)
            )
        if not self.env.context.get("lang"):
            # The cron has no language of its own: its notes and activities are
            # written in its user's language (else the main company's).
            lang = self.env.user.lang or self.env.company.partner_id.lang
            self = self.with_context(lang=lang)  # noqa: PLW0642
        companies = self.env["res.company"].sudo().search([])
        today = self.env["account.move"]._dunning_today()
        runs = self.env["dunning.run"]._get_today_runs(companies, today)
        run_records = self.env["dunning.run"].sudo().browse([run.id for run in runs.values()])
        after = min((run.next_key for run in run_records if run.next_key), default=None)
        progress = {"after": tuple(int(i) for i in after.split(",")) if after else None}
        started = time.monotonic()
        try:
            with self.env.cr.savepoint():
                done, remaining = (
                    self.sudo()
                    .with_context(dunning_run_ids={cid: run.id for cid, run in runs.items()})
                    ._dunning_run_batch(companies, batch_size, progress)
                )
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # Another transaction got in the way: the whole batch is rolled
            # back by the cron framework and tried again in a few minutes.
            self._dunning_retry_after_conflict()
            raise
        except DB_ERRORS_TO_PROPAGATE:
            raise
        except Exception as error:  # noqa: BLE001 - recorded on the run, then the run stops
            _logger.exception("Daily reminder run: a batch failed and was undone")
            self.env.invalidate_all()
            run_records.write({"state": "failed"})
            run_records._log_error(str(error) or repr(error))
            return
        run_records._log_batch(
            time.monotonic() - started,
            customers=progress["customers"],
            created=progress["created"],
            sent=progress["sent"],
            done=not remaining,
        )
        next_key = ",".join(str(i) for i in progress["after"]) if progress["after"] else False
        run_records.filtered(lambda run: run.next_key != next_key).write({"next_key": next_key})
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
        if remaining:
            # The cron worker calls again by itself, but "Run Manually" makes a
            # single call: ask for the next one in both cases (a spare call finds
            # nothing left and stops).
            self.env.ref("dunning_scenario.ir_cron_dunning_process")._trigger()

    @api.model
    def _dunning_run(self, companies=None, batch_size=200):
        """Process everything now, in one transaction (tests, small databases)."""
        companies = companies or self.env.companies
        total = 0
        progress = {"after": None}
        while True:
            done, remaining = self._dunning_run_batch(companies, batch_size, progress)
            total += done
            if not remaining:
                return total

    @api.model
    def _dunning_run_batch(self, companies, batch_size, progress=None):
        """Do one batch of work: first create the reminders of a batch of customers,
        then, once none is left, send a batch of reminders of auto-send scenarios.

        :param progress: dict the caller keeps from one batch to the next of a
            run: ``after``, the last (customer, company, currency) examined, so
            that each batch reads only the open invoices after it instead of
            all of them again; and, set here, the counts of the batch for the
            run record: ``customers``, ``created``, ``sent`` ({company id: n}).
        :return: (number of items done, number of items remaining: while
            customers remain to examine, at least 1 rather than their count)
        """
        today = self.env["account.move"]._dunning_today()
        keyset = progress is not None
        progress = progress if keyset else {}
        for counter in ("customers", "created", "sent"):
            progress[counter] = defaultdict(int)
        after = progress.get("after") if keyset else None
        if not after:
            # Once per pass over the customers: pauses end by themselves on their date.
            self.env["account.move"]._dunning_resume_expired_pauses(today)
        keys = self._dunning_select_partners(companies, today, batch_size + 1, after=after)
        if not keys and after:
            # End of the pass: customers before the last key that became due
            # meanwhile (schedule reset, invoice resumed) start a new pass.
            keys = self._dunning_select_partners(companies, today, batch_size + 1)
        more = len(keys) > batch_size
        keys = keys[:batch_size]
        progress["after"] = keys[-1] if keys and keyset and more else None
        if keys:
            reminders = self._dunning_generate(keys, today)
            for key in keys:
                progress["customers"][key[1]] += 1
            for reminder in reminders:
                progress["created"][reminder.company_id.id] += 1
            if keyset and not more and after:
                # End of the pass: did customers before the last key become due
                # meanwhile (schedule reset, invoice resumed)? Then a new pass.
                more = bool(self._dunning_select_partners(companies, today, 1))
            return len(keys), int(more) + self._dunning_to_send_count(
                self._dunning_companies_in_sending_window(companies)
            )
        return self._dunning_send_batch(companies, batch_size, progress)

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
    def _dunning_select_partners(self, companies, today, limit, after=None):
        """(customer, company, currency) triples having invoices to examine today,
        in key order, after the key ``after`` when given: one query, which reads
        through the index on the invoices' customer only the invoices of the
        triples it returns. A customer owing in two currencies gets one reminder
        for each, so that no message mixes currencies."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT m.commercial_partner_id, m.company_id, m.currency_id
                  FROM account_move m
                 WHERE m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.payment_state NOT IN %(paid)s
                   AND m.amount_residual > 0
                   AND m.dunning_state IN ('none', 'reminded')
                   AND NOT COALESCE(m.dunning_excluded, FALSE)
                   AND m.company_id = ANY(%(companies)s)
                   AND (m.dunning_next_date <= %(today)s
                        OR (m.dunning_next_date IS NULL
                            AND (m.dunning_checked_date IS NULL
                                 OR m.dunning_checked_date < %(today)s)))
                   AND %(after)s
                 GROUP BY m.commercial_partner_id, m.company_id, m.currency_id
                 ORDER BY m.commercial_partner_id, m.company_id, m.currency_id
                 LIMIT %(limit)s
                """,
                paid=PAID_STATES,
                companies=companies.ids,
                today=today,
                after=SQL(
                    # the first condition is the one the index on the customer serves
                    "m.commercial_partner_id >= %s "
                    "AND (m.commercial_partner_id, m.company_id, m.currency_id) > (%s, %s, %s)",
                    after[0],
                    *after,
                )
                if after
                else SQL("TRUE"),
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
        return self._dunning_create_reminders(reminder_vals)

    @api.model
    def _dunning_create_reminders(self, vals_list):
        """Create the reminders of a batch, with their lines, the way a run of
        tens of thousands of lines stays fast: the names are drawn from the
        sequence in one query per company, the reminders are created by the ORM
        without their lines, and the lines are inserted in one statement per
        thousand rows; then the ORM computes what depends on them (penalties,
        the reminders' totals, the invoices' reminder status) in batch. No
        chatter note at creation: the reminder itself is the record (listed on
        each invoice's Reminders tab); the customer gets a note when it is sent.
        """
        if not vals_list:
            return self.browse()
        Line = self.env["dunning.reminder.line"]
        names = {}
        # A preview of the run (wizards/dunning_run_preview.py) draws no number.
        preview = self.env.context.get("dunning_preview")
        for company_id in {vals["company_id"] for vals in vals_list} if not preview else ():
            count = sum(1 for vals in vals_list if vals["company_id"] == company_id)
            names[company_id] = iter(self._dunning_next_names(company_id, count))
        lines_vals = []
        for vals in vals_list:
            lines_vals.append([command[2] for command in vals.pop("line_ids", [])])
            if vals.get("name", "/") == "/" and not preview:
                vals["name"] = next(names[vals["company_id"]])
        reminders = self.with_context(**CREATE_CONTEXT).create(vals_list)
        kind_sequence = {
            kind: Line.new({"kind": kind}).kind_sequence
            for kind, __ in Line._fields["kind"].selection
        }
        defaults = Line.default_get([name for name, field in Line._fields.items() if field.store])
        rows = []
        for reminder, line_vals_list in zip(reminders, lines_vals, strict=True):
            company = reminder.company_id
            for line_vals in line_vals_list:
                rows.append(
                    {
                        **defaults,
                        **line_vals,
                        "reminder_id": reminder.id,
                        "company_id": company.id,
                        "company_currency_id": company.currency_id.id,
                        "kind_sequence": kind_sequence[line_vals["kind"]],
                    }
                )
        lines = self._dunning_insert_lines(rows)
        # What depends on the new lines: their penalties (computed now, for all
        # the lines at once), the reminders' totals, the invoices' status.
        reminders.invalidate_recordset(["line_ids", "level_line_ids", "other_line_ids"])
        lines.move_id.invalidate_recordset(["dunning_reminder_line_ids"])
        for fname in PENALTY_FIELDS:
            self.env.add_to_compute(Line._fields[fname], lines)
        lines.modified(sorted({name for row in rows for name in row}), create=True)
        self.env.flush_all()
        return reminders

    @api.model
    def _dunning_insert_lines(self, rows, chunk=1000):
        """Insert reminder lines from their values (all the stored fields the ORM
        would write, computed ones apart), a thousand rows a statement.

        :param rows: list of dicts {field name: value in the ORM's write format}
        :return: the dunning.reminder.line records inserted
        """
        Line = self.env["dunning.reminder.line"]
        if not rows:
            return Line
        names = sorted({name for row in rows for name in row})
        booleans = {name for name in names if Line._fields[name].type == "boolean"}
        uid, now = self.env.uid, self.env.cr.now()
        placeholders = "(" + ", ".join(["%s"] * (len(names) + 4)) + ")"
        ids = []
        for start in range(0, len(rows), chunk):
            params = []
            for row in rows[start : start + chunk]:
                for name in names:
                    value = row.get(name)
                    params.append(value if value is not False or name in booleans else None)
                params += [uid, now, uid, now]
            self.env.cr.execute(
                SQL(
                    "INSERT INTO dunning_reminder_line (%s, create_uid, create_date, write_uid, "
                    "write_date) VALUES %s RETURNING id",
                    SQL(", ").join(SQL.identifier(name) for name in names),
                    SQL(", ".join([placeholders] * len(rows[start : start + chunk])), *params),
                )
            )
            ids += [row[0] for row in self.env.cr.fetchall()]
        return Line.browse(ids)

    @api.model
    def _dunning_next_names(self, company_id, count):
        """``count`` reminder names from the company's sequence, in one query."""
        company = self.env["res.company"].browse(company_id)
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", "dunning.reminder"), ("company_id", "in", [company_id, False])],
                order="company_id",
                limit=1,
            )
            .with_company(company)
        )
        if not sequence:
            return ["/"] * count
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence._next() for __ in range(count)]
        self.env.cr.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s)",
            [f"ir_sequence_{sequence.id:03d}", count],
        )
        return [sequence.get_next_char(number) for (number,) in self.env.cr.fetchall()]

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
