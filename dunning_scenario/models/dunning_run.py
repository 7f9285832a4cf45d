# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily run: its record per company and day, and its batches: which
customers to remind (the creation of their reminders is in
dunning_run_generate.py), then the automatic sending of the scenarios that send
by themselves (dunning_auto_send.py)."""

import logging
import time
from collections import defaultdict
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.modules.registry import Registry
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from .account_move import PAID_STATES

_logger = logging.getLogger(__name__)

# Database errors the automatic sending never takes for a reminder's failure:
# concurrency errors (serialization failure, lock not available, deadlock) and
# other operational errors, and a transaction already aborted.
DB_ERRORS_TO_PROPAGATE = (psycopg2.OperationalError, psycopg2.errors.InFailedSqlTransaction)
# Minutes before the daily run is tried again after such a conflict.
RETRY_MINUTES = 5
# A pass over at least this many customers refreshes the statistics of the
# tables it wrote.
ANALYZE_MIN_CUSTOMERS = 100
ANALYZE_AFTER_PASS = """
    ANALYZE dunning_invoice_plan (move_id, state, next_date, checked_date, next_level_id),
            dunning_reminder (partner_id, company_id, state, date, level_id, run_id,
                              auto_send_failed),
            dunning_reminder_line (reminder_id, move_id, kind)
"""


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
    error_log = fields.Text(readonly=True, help="One line per failure, newest last.")
    batch_log = fields.Text(readonly=True, help="One line per batch.")
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
            customers remain to examine, 1 rather than their count)
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
            if reminders:
                for company_id, count in self.env.execute_query(
                    SQL(
                        "SELECT company_id, COUNT(*) FROM dunning_reminder WHERE id = ANY(%s) "
                        "GROUP BY company_id",
                        reminders.ids,
                    )
                ):
                    progress["created"][company_id] += count
            if keyset and not more and after:
                # End of the pass: did customers before the last key become due
                # meanwhile (schedule reset, invoice resumed)? Then a new pass.
                more = bool(self._dunning_select_partners(companies, today, 1))
            if not more and (after or len(keys) >= ANALYZE_MIN_CUSTOMERS):
                # A pass that wrote many rows ends with fresh statistics of the
                # tables it wrote, so that the lists opened right after it (To
                # remind, the customers' dunning status) are planned on them
                # rather than on those of the day before (autovacuum would only
                # catch up a minute or so later). The columns they filter, join
                # and group on only: the text columns of the lines would take
                # most of the time, and autovacuum goes over every column later.
                self.env.cr.execute(ANALYZE_AFTER_PASS)
            if more:
                # (what is to send is counted once the customers are done)
                return len(keys), 1
            return len(keys), self._dunning_to_send_count(
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
    def _dunning_plan_due_sql(self, today, whole):
        """SQL condition: the invoice ``m`` is to be examined today, as its plan
        says (not reminded or reminded, planned for today or before, or never
        examined; no plan yet: never examined).

        :param whole: whether the query reads every open invoice (the start of
            a pass, or the check that nothing is left): then the plans due are
            read once (a hashed subquery); else, the invoices read from a key
            on until the batch is full, each one's plan through its primary key
            (joined, the planner would read every plan at each batch)
        """
        due = SQL(
            "p.state IN ('none', 'reminded')"
            " AND COALESCE(p.next_date, p.checked_date + 1, '-infinity') <= %s",
            today,
        )
        if whole:
            return SQL(
                "(m.dunning_plan_id IS NULL OR m.dunning_plan_id IN"
                " (SELECT p.id FROM dunning_invoice_plan p WHERE %s))",
                due,
            )
        return SQL(
            "COALESCE((SELECT %s FROM dunning_invoice_plan p WHERE p.id = m.dunning_plan_id),"
            " m.dunning_plan_id IS NULL)",
            due,
        )

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
                   AND NOT COALESCE(m.dunning_excluded, FALSE)
                   AND m.company_id = ANY(%(companies)s)
                   AND %(plan_due)s
                   AND %(after)s
                 GROUP BY m.commercial_partner_id, m.company_id, m.currency_id
                 ORDER BY m.commercial_partner_id, m.company_id, m.currency_id
                 LIMIT %(limit)s
                """,
                paid=PAID_STATES,
                companies=companies.ids,
                today=today,
                plan_due=self._dunning_plan_due_sql(today, whole=not after),
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
