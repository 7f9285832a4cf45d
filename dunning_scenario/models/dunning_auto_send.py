# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The automatic sending of the daily run, once the reminders are prepared:
the reminders of the scenarios that send by themselves, by chunks within a
time budget, inside each company's sending window."""

import logging
import time

from odoo import api, fields, models

from .dunning_run import DB_ERRORS_TO_PROPAGATE
from .mail_template import html_sanitize_once, qweb_compile_once

_logger = logging.getLogger(__name__)

# The automatic sending goes by chunks of reminders (one refresh, one rendering
# of each email template, one chatter write per chunk): at most this many, and
# no more than fit, at the pace of the previous chunk, in half the time left.
SEND_CHUNK_MAX = 100


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    @api.model
    def _dunning_send_batch(self, companies, batch_size, progress):
        """Send a batch of the reminders of automatic scenarios (see
        _dunning_run_batch)."""
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
        # By chunks: one refresh (one search of new credits), one rendering of
        # each email template and one chatter write per chunk rather than per
        # reminder. The chunks grow (1, 2, 4...) while they fit in the time
        # left at the pace of the previous one (a chunk of letters is slow, one
        # of emails fast), so that the budget is checked often enough. A chunk
        # that fails is sent again one reminder at a time, so that one bad
        # reminder stops nothing.
        # The email templates' bodies, compiled once for the whole batch.
        with qweb_compile_once():
            done = self._dunning_send_chunks(to_send, progress, started, budget)
        if done:
            self._dunning_wake_queues()
        return done, self._dunning_to_send_count(companies)

    @api.model
    def _dunning_send_chunks(self, to_send, progress, started, budget):
        """Send ``to_send`` by chunks until the time ``budget`` (seconds since
        ``started``) is spent. :return: how many reminders were tried"""
        done = 0
        chunk_size = 1
        while done < len(to_send):
            elapsed = time.monotonic() - started
            if done and elapsed >= budget:
                break
            chunk = to_send[done : done + chunk_size]
            done += len(chunk)
            chunk_started = time.monotonic()
            self._dunning_send_chunk(chunk, progress)
            pace = (time.monotonic() - chunk_started) / len(chunk)
            left = budget - (time.monotonic() - started)
            chunk_size = self._dunning_next_chunk_size(len(chunk), pace, left)
        return done

    @api.model
    def _dunning_next_chunk_size(self, previous, pace, left):
        """How many reminders the next chunk sends: twice the previous one at
        most (and ``SEND_CHUNK_MAX``), no more than fit in half the time
        ``left`` at ``pace`` seconds a reminder, at least one."""
        size = min(2 * previous, SEND_CHUNK_MAX)
        if pace > 0:
            size = min(size, int(left / 2 / pace))
        return max(size, 1)

    @api.model
    def _dunning_send_chunk(self, chunk, progress):
        """Send a chunk of reminders automatically, checked again just before."""
        # The HTML of the chunk's messages and notes, sanitized once each.
        with html_sanitize_once():
            self._dunning_send_chunk_sanitized(chunk, progress)

    @api.model
    def _dunning_send_chunk_sanitized(self, chunk, progress):
        # Check again, just before sending, that something is really owed.
        chunk = chunk._dunning_refresh()
        for reminder in chunk:
            reason = reminder._get_dunning_send_blocked_reason()
            if reason:
                reminder._message_log(
                    body=self.env._("Not sent automatically: %(reason)s", reason=reason)
                )
                reminder.write({"auto_send_failed": True})
                chunk -= reminder
        # What is pending is written now, outside the savepoint below: a
        # conflict there is not a reminder's failure and must propagate.
        self.env.flush_all()
        try:
            with self.env.cr.savepoint():
                # The queues are woken once for the whole batch, by the caller.
                chunk.with_context(dunning_defer_wake=True).action_send()
        except DB_ERRORS_TO_PROPAGATE:
            raise
        except Exception:  # noqa: BLE001 - sent again one by one below
            self.env.invalidate_all()
            for reminder in chunk:
                self._dunning_send_one(reminder)
        for reminder in chunk.filtered(lambda r: r.state == "sent"):
            progress["sent"][reminder.company_id.id] += 1

    @api.model
    def _dunning_send_one(self, reminder):
        """Send one reminder automatically; a failure is noted on it and stops
        its automatic sending, never the run (database conflicts apart: the
        whole batch rolls back and the cron runs again)."""
        self.env.flush_all()
        try:
            with self.env.cr.savepoint():
                reminder.with_context(dunning_defer_wake=True).action_send()
        except DB_ERRORS_TO_PROPAGATE:
            raise
        except Exception as error:  # noqa: BLE001 - one bad reminder must not stop the run
            _logger.warning("Reminder %s could not be sent: %s", reminder.name, error)
            self.env.invalidate_all()
            reminder._message_log(
                body=self.env._("Automatic sending failed: %(error)s", error=str(error))
            )
            reminder._dunning_write_proof({"auto_send_failed": True})

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
