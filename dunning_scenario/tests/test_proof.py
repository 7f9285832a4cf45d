# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Sent reminders are the proof of what the customer received: nobody can alter
them over RPC, the automatic sending never hides a database conflict, and the
date of the run cannot be faked from the client.

Invoices are due on 2026-03-31 and reach the first reminder (J+15) on
2026-04-15 in the test "Companies" scenario.
"""

from contextlib import closing
from datetime import date, datetime
from unittest.mock import patch

import psycopg2

from odoo import Command, sql_db
from odoo.exceptions import AccessError, UserError
from odoo.models import check_method_name
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DunningCommon

DUE = "2026-03-31"
FIRST = "2026-04-15"

# What any client can put in the context of an RPC call.
UNLOCK = {"dunning_allow_sent_write": True}


@tagged("post_install", "-at_install")
class TestProof(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.customer_company
        cls.invoice = cls._create_invoice(cls.customer, DUE, 400.0)

    def _sent_reminder(self):
        reminder = self._run(FIRST)
        self._mark(reminder, FIRST)
        self.assertEqual(reminder.state, "sent")
        return self._as_accountant(reminder)

    def _line_vals(self, reminder, amount=599.0):
        return {
            "reminder_id": reminder.id,
            "kind": "overdue",
            "name": "Added later",
            "currency_id": self.company.currency_id.id,
            "amount_residual": amount,
            "amount_residual_company": amount,
        }

    # ------------------------------------------------------------------
    # No context key unlocks a sent reminder
    # ------------------------------------------------------------------

    def test_context_key_cannot_unlock_sent_reminder(self):
        """The issue's case: set a sent reminder back to draft with the context
        key, then send it again."""
        reminder = self._sent_reminder().with_context(**UNLOCK)
        with self.assertRaises(UserError):
            reminder.write({"state": "draft"})
        with self.assertRaises(UserError):
            reminder.write({"user_id": self.env.user.id})
        with self.assertRaises(UserError):
            reminder.write({"email_status": "done"})
        self.assertEqual(reminder.state, "sent")
        # The Python exemption is a private method: RPC cannot call it.
        with self.assertRaises(AccessError):
            check_method_name("_dunning_write_proof")

    def test_state_and_channels_recorded_by_odoo_only(self):
        """Nobody forges a sent reminder out of a draft one, nor a channel's
        result, even on a draft."""
        reminder = self._as_accountant(self._run(FIRST))
        for vals in (
            {"state": "sent"},
            {"reminded_by": "send"},
            {"email_status": "done"},
            {"letter_status": "done", "letter_registered_number": "1A 234 567 8901 2"},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                reminder.with_context(**UNLOCK).write(vals)
        self.assertEqual(reminder.state, "draft")
        with self.assertRaises(UserError):
            self.env["dunning.reminder"].with_user(self.accountant).with_context(**UNLOCK).create(
                {
                    "partner_id": self.customer.id,
                    "scenario_id": self.scenario_business.id,
                    "level_id": self.level_first.id,
                    "company_id": self.company.id,
                    "date": self._d(FIRST),
                    "state": "sent",
                }
            )

    def test_line_cannot_be_added_to_sent_reminder(self):
        """The issue's case: a line added to a sent reminder (net 400 -> 999)."""
        reminder = self._sent_reminder()
        Line = self.env["dunning.reminder.line"].with_user(self.accountant)
        with self.assertRaises(UserError):
            Line.create(self._line_vals(reminder))
        with self.assertRaises(UserError):
            Line.with_context(**UNLOCK).create(self._line_vals(reminder))
        with self.assertRaises(UserError):
            reminder.with_context(**UNLOCK).write(
                {"line_ids": [Command.create(self._line_vals(reminder))]}
            )
        self.assertEqual(reminder.amount_net, 400.0)
        self.assertEqual(len(reminder.line_ids), 1)

    def test_line_cannot_be_moved_to_or_from_sent_reminder(self):
        sent = self._sent_reminder()
        other = self._create_customer("Other Customer", self.category_company)
        self._create_invoice(other, DUE, 250.0)
        draft = self._as_accountant(self._run("2026-04-16"))
        self.assertEqual((draft.partner_id, draft.state), (other, "draft"))
        with self.assertRaises(UserError):
            draft.line_ids.with_context(**UNLOCK).write({"reminder_id": sent.id})
        with self.assertRaises(UserError):
            sent.line_ids.with_context(**UNLOCK).write({"reminder_id": draft.id})
        self.assertEqual(sent.amount_net, 400.0)
        self.assertEqual(draft.amount_net, 250.0)

    def test_line_cannot_be_changed_or_removed_with_context_key(self):
        reminder = self._sent_reminder()
        line = reminder.line_ids.with_context(**UNLOCK)
        with self.assertRaises(UserError):
            line.write({"amount_residual": 1.0})
        with self.assertRaises(UserError):
            line.unlink()
        with self.assertRaises(UserError):
            reminder.with_context(**UNLOCK).write({"line_ids": [Command.unlink(line.id)]})
        self.assertEqual(reminder.line_ids.amount_residual, 400.0)

    # ------------------------------------------------------------------
    # Concurrency errors propagate from the automatic sending
    # ------------------------------------------------------------------

    def _auto_send_batch(self):
        self.scenario_business.auto_send = True
        reminder = self._run(FIRST)  # created and sent by the same run
        self.assertEqual(reminder.state, "sent")
        self._create_invoice(self.customer_individual, DUE, 300.0)
        self.customer_individual.dunning_scenario_id = self.scenario_business
        with self._frozen("2026-04-16"):
            # First batch: prepare the individual's reminder, to be sent next.
            Reminder = self.env["dunning.reminder"]
            Reminder._dunning_run_batch(self.company, 200)
        to_send = Reminder.search([("partner_id", "=", self.customer_individual.id)])
        self.assertEqual(to_send.state, "draft")
        return to_send

    def test_lock_conflict_during_auto_send_propagates(self):
        """A row locked by another transaction (a real PostgreSQL error): the
        batch fails with that error, so the cron rolls it back and runs again;
        it is neither recorded as the reminder's failure nor turned into an
        aborted transaction."""
        to_send = self._auto_send_batch()
        country = self.env.ref("base.aq")
        Reminder = type(self.env["dunning.reminder"])

        def action_send(reminders):
            reminders.env.cr.execute(
                "SELECT id FROM res_country WHERE id = %s FOR UPDATE NOWAIT", [country.id]
            )
            return True

        with (
            closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as other,
            patch.object(Reminder, "action_send", action_send),
            self._frozen("2026-04-16"),
        ):
            other.execute("SELECT id FROM res_country WHERE id = %s FOR UPDATE", [country.id])
            with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.LockNotAvailable):
                self.env["dunning.reminder"]._dunning_run_batch(self.company, 200)
            other.rollback()
        # The transaction is still usable, and the reminder waits to be sent again.
        self.assertFalse(to_send.auto_send_failed)
        self.assertEqual(to_send.state, "draft")
        self.assertNotIn("Automatic sending failed", " ".join(self._messages(to_send)))

    def test_serialization_failure_during_auto_send_propagates(self):
        to_send = self._auto_send_batch()
        error = psycopg2.errors.SerializationFailure(
            "could not serialize access due to concurrent update"
        )
        with (
            patch.object(type(to_send), "action_send", side_effect=error),
            self._frozen("2026-04-16"),
            self.assertRaises(psycopg2.errors.SerializationFailure),
        ):
            self.env["dunning.reminder"]._dunning_run_batch(self.company, 200)
        self.assertFalse(to_send.auto_send_failed)

    def test_other_failures_still_recorded_on_the_reminder(self):
        to_send = self._auto_send_batch()
        with (
            patch.object(type(to_send), "action_send", side_effect=UserError("No template")),
            self._frozen("2026-04-16"),
            self.assertLogs("odoo.addons.dunning_scenario.models.dunning_auto_send", "WARNING"),
        ):
            self.env["dunning.reminder"]._dunning_run_batch(self.company, 200)
        self.assertTrue(to_send.auto_send_failed)
        self.assertIn("Automatic sending failed: No template", self._messages(to_send))

    def test_cron_runs_again_soon_after_a_conflict(self):
        """After a conflict, once its transaction is rolled back, the daily run
        asks to be run again in a few minutes, not tomorrow."""
        Reminder = self.env["dunning.reminder"]
        cron = self.env.ref("dunning_scenario.ir_cron_dunning_process")
        error = psycopg2.errors.SerializationFailure("could not serialize access")
        callbacks = self.env.cr.postrollback
        before = list(callbacks._funcs)
        with (
            patch.object(type(Reminder), "_dunning_run_batch", side_effect=error),
            self._frozen(FIRST),
            self.assertRaises(psycopg2.errors.SerializationFailure),
        ):
            Reminder._cron_process_dunning()
        added = [func for func in callbacks._funcs if func not in before]
        self.assertEqual(len(added), 1)
        for func in added:
            callbacks._funcs.remove(func)
        calls = []
        with (
            patch.object(
                type(self.env["ir.cron"]),
                "_trigger",
                lambda crons, at=None: calls.append((crons.ids, at)),
            ),
            self._frozen(FIRST),
        ):
            added[0]()
        self.assertEqual(calls, [(cron.ids, datetime(2026, 4, 15, 12, 5))])

    # ------------------------------------------------------------------
    # dunning_today comes from server code only
    # ------------------------------------------------------------------

    def test_dunning_today_from_the_client_is_ignored(self):
        Move = self.env["account.move"].with_user(self.accountant)
        with self._frozen(FIRST):
            # A string (JSON-RPC) or a datetime (XML-RPC) is ignored, no TypeError.
            self.assertEqual(
                Move.with_context(dunning_today="2020-01-01")._dunning_today(), self._d(FIRST)
            )
            self.assertEqual(
                Move.with_context(dunning_today=datetime(2020, 1, 1))._dunning_today(),
                self._d(FIRST),
            )
            # A date set by server code is used.
            self.assertEqual(
                Move.with_context(dunning_today=date(2026, 4, 20))._dunning_today(),
                date(2026, 4, 20),
            )
            reminder = (
                self.env["dunning.reminder"]
                .with_user(self.accountant)
                .with_context(dunning_today="2099-12-31")
            )
            reminder._dunning_run()
            self.assertEqual(self.invoice.with_context(dunning_today="x").dunning_days_overdue, 15)
        created = self.invoice.dunning_reminder_ids
        self.assertEqual(created.date, self._d(FIRST))
        self.assertEqual(created.level_id, self.level_first)

    def test_dunning_today_string_on_sending(self):
        reminder = self._as_accountant(self._run(FIRST))
        with self._frozen("2026-04-16"):
            reminder.with_context(dunning_today="2030-01-01").action_mark_reminded()
        self.assertEqual(reminder.date, self._d("2026-04-16"))
        self.assertEqual(self.invoice.dunning_last_date, self._d("2026-04-16"))
