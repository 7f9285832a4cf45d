# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily run and the actions on reminders and invoices.

Unless said otherwise, invoices are due on 2026-03-31 and follow the test
"Companies" scenario: first reminder on 2026-04-15 (J+15), second on 2026-04-30
(J+30), 7 days at least between two reminders of an invoice.
"""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import DunningCommon

DUE = "2026-03-31"
FIRST = "2026-04-15"


@tagged("post_install", "-at_install")
class TestDunningRun(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.customer_company
        cls.invoice = cls._create_invoice(cls.customer, DUE, 1000.0)

    def _pause(self, invoices, day, reason, until=False):
        with self._frozen(day):
            wizard = (
                self.env["dunning.invoice.pause"]
                .with_user(self.accountant)
                .create(
                    {
                        "move_ids": [(6, 0, invoices.ids)],
                        "reason": reason,
                        "paused_until": until,
                    }
                )
            )
            wizard.action_pause()

    def _last_message(self, record):
        return self._messages(record)[0]

    def test_reminding_leaves_the_invoice_untouched(self):
        """Reminder bookkeeping is not an edit of the invoice: running, marking as
        reminded, pausing and resuming never flag it as modified by hand."""
        self.invoice.is_manually_modified = False
        reminder = self._run(FIRST)
        with self._frozen(FIRST):
            self._as_accountant(reminder).action_mark_reminded()
        self._pause(self.invoice, "2026-04-16", "dispute")
        with self._frozen("2026-04-17"):
            self._as_accountant(self.invoice).action_dunning_resume()
        self.assertEqual(self.invoice.dunning_level_id, self.level_first)
        self.assertFalse(self.invoice.is_manually_modified)

    # ------------------------------------------------------------------
    # Pause and resume
    # ------------------------------------------------------------------

    def test_pause_and_resume(self):
        # Disputed on 04-10 (no end date): nothing on 04-15 nor 04-19. Resumed
        # on 04-20: reminded that day (20 days late, first reminder).
        self._pause(self.invoice, "2026-04-10", "dispute")
        self.assertEqual(self.invoice.dunning_state, "paused")
        self.assertEqual(self.invoice.dunning_pause_reason, "dispute")
        self.assertFalse(self._run(FIRST))
        self.assertFalse(self._run("2026-04-19"))
        self.assertEqual(self.invoice.dunning_state, "paused")
        with self._frozen("2026-04-20"):
            self._as_accountant(self.invoice).action_dunning_resume()
        self.assertEqual(self.invoice.dunning_state, "none")
        self.assertFalse(self.invoice.dunning_pause_reason)
        reminder = self._run("2026-04-20")
        self.assertEqual(self._level_lines(reminder), {self.invoice: self.level_first})

    def test_pause_ends_by_itself(self):
        # Promise to pay by 04-25, given on 04-10: nothing on 04-15 nor 04-24;
        # on 04-25 the pause ends by itself and the first reminder is prepared.
        self._pause(self.invoice, "2026-04-10", "promise", until="2026-04-25")
        self.assertFalse(self._run(FIRST))
        self.assertFalse(self._run("2026-04-24"))
        self.assertEqual(self.invoice.dunning_state, "paused")
        reminder = self._run("2026-04-25")
        self.assertEqual(self._level_lines(reminder), {self.invoice: self.level_first})
        self.assertFalse(self.invoice.dunning_pause_reason)
        self.assertFalse(self.invoice.dunning_paused_until)
        self.assertIn("The pause of reminders has ended.", self._messages(self.invoice)[0])

    def test_promise_to_pay_needs_a_date(self):
        with self.assertRaises(ValidationError):
            self._pause(self.invoice, "2026-04-10", "promise")

    # ------------------------------------------------------------------
    # Exclusion
    # ------------------------------------------------------------------

    def test_excluded_invoice_not_reminded(self):
        # The excluded invoice gets no level; the other invoice of the customer
        # is reminded as usual.
        other = self._create_invoice(self.customer, DUE, 500.0)
        self._as_accountant(self.invoice).action_dunning_exclude()
        reminder = self._run(FIRST)
        self.assertEqual(self._level_lines(reminder), {other: self.level_first})
        self.assertFalse(self.invoice.dunning_level_id)
        self.assertEqual(self.invoice.dunning_state, "none")

    def test_excluded_customer_not_reminded(self):
        self.customer.dunning_excluded = True
        self.assertFalse(self._run(FIRST))
        self.assertFalse(self._run("2026-06-30"))
        self.assertEqual(self.invoice.dunning_state, "none")

    # ------------------------------------------------------------------
    # Amounts
    # ------------------------------------------------------------------

    def test_partial_payment(self):
        # 400.00 paid on 04-10 of 1,000.00: the reminder of 04-15 asks for 600.00.
        self._pay(self.invoice, 400.0, "2026-04-10")
        reminder = self._run(FIRST)
        line = reminder.level_line_ids
        self.assertEqual(line.amount_total, 1000.0)
        self.assertEqual(line.amount_residual, 600.0)
        self.assertEqual(line.amount_residual_company, 600.0)
        self.assertEqual(reminder.amount_reminded, 600.0)
        self.assertEqual(reminder.amount_net, 600.0)

    def test_credit_note_and_payment_lower_the_net_amount(self):
        # A 150.00 credit note and a 100.00 payment, both not matched with the
        # invoice, are listed as credits: 1,000.00 - 250.00 = 750.00 really owed.
        refund = self._create_credit_note(self.customer, 150.0, "2026-04-05")
        payment = self._create_unreconciled_payment(self.customer, 100.0, "2026-04-06")
        reminder = self._run(FIRST)
        credit_lines = reminder.other_line_ids.filtered(lambda line: line.kind == "credit")
        self.assertEqual(
            sorted((line.move_id, line.amount_residual) for line in credit_lines),
            sorted([(refund, -150.0), (payment.move_id, -100.0)]),
        )
        self.assertEqual(reminder.amount_overdue, 1000.0)
        self.assertEqual(reminder.amount_credit, 250.0)
        self.assertEqual(reminder.amount_net, 750.0)

    def test_other_overdue_invoices_also_outstanding(self):
        # Due on 04-10, 5 days late on 04-15: not at a level yet, listed as
        # also outstanding on the reminder of the first invoice.
        recent = self._create_invoice(self.customer, "2026-04-10", 250.0)
        not_due = self._create_invoice(self.customer, "2026-05-10", 80.0)
        reminder = self._run(FIRST)
        self.assertEqual(self._level_lines(reminder), {self.invoice: self.level_first})
        other = reminder.other_line_ids
        self.assertEqual(other.move_id, recent)
        self.assertEqual(other.kind, "overdue")
        self.assertEqual(other.days_overdue, 5)
        self.assertNotIn(not_due, reminder.line_ids.move_id)
        self.assertEqual(reminder.amount_overdue, 1250.0)
        self.assertEqual(reminder.invoice_count, 1)

    def test_one_reminder_per_customer_each_invoice_its_level(self):
        # On 04-15, the invoice due 03-31 reaches J+15 and one due 03-16 is 30
        # days late (J+30): one reminder, each invoice at its level, the
        # reminder at the highest one.
        older = self._create_invoice(self.customer, "2026-03-16", 400.0)
        reminder = self._run(FIRST)
        self.assertEqual(len(reminder), 1)
        self.assertEqual(
            self._level_lines(reminder),
            {self.invoice: self.level_first, older: self.level_second},
        )
        self.assertEqual(reminder.level_id, self.level_second)
        self.assertEqual(reminder.amount_reminded, 1400.0)

    # ------------------------------------------------------------------
    # Runs and sending
    # ------------------------------------------------------------------

    def test_two_runs_same_day_no_duplicate(self):
        # Second run of 04-15: nothing new, before and after marking.
        reminder = self._run(FIRST)
        self.assertEqual(len(reminder), 1)
        self.assertFalse(self._run(FIRST))
        self._mark(reminder, FIRST)
        self.assertFalse(self._run(FIRST))
        self.assertEqual(
            self.env["dunning.reminder"].search_count([("partner_id", "=", self.customer.id)]),
            1,
        )
        self.assertEqual(self.invoice.dunning_count, 1)

    def test_draft_reminder_blocks_new_ones(self):
        # Prepared on 04-15 and left to remind: the 04-30 run (J+30) does not
        # prepare a second one for the same invoice.
        self._run(FIRST)
        self.assertFalse(self._run("2026-04-30"))

    def test_payment_before_send_drops_paid_invoice(self):
        # Prepared on 04-15 for two invoices; the 500.00 one is paid on 04-16;
        # sent on 04-16 for the 1,000.00 one only.
        other = self._create_invoice(self.customer, DUE, 500.0)
        reminder = self._run(FIRST)
        self.assertEqual(reminder.amount_reminded, 1500.0)
        self._pay(other, 500.0, "2026-04-16")
        self._send(reminder, "2026-04-16")
        self.assertEqual(reminder.state, "sent")
        self.assertEqual(self._level_lines(reminder), {self.invoice: self.level_first})
        self.assertEqual(reminder.amount_reminded, 1000.0)
        self.assertEqual(reminder.date, self._d("2026-04-16"))
        self.assertEqual(other.dunning_state, "paid")
        self.assertFalse(other.dunning_level_id)
        self.assertIn(reminder.name, self._last_message(other))
        self.assertEqual(self.invoice.dunning_level_id, self.level_first)

    def test_payment_before_send_cancels_empty_reminder(self):
        # Prepared on 04-15; paid in full on 04-16; sending on 04-16 cancels it:
        # nothing is sent and the invoice never counts as reminded.
        reminder = self._run(FIRST)
        self._pay(self.invoice, 1000.0, "2026-04-16")
        self._send(reminder, "2026-04-16")
        self.assertEqual(reminder.state, "cancelled")
        self.assertTrue(reminder.cancel_reason)
        self.assertEqual(self.invoice.dunning_state, "paid")
        self.assertEqual(self.invoice.dunning_count, 0)
        self.assertFalse(self.invoice.dunning_level_id)
        self.assertIn(reminder.name, self._last_message(self.customer))

    def test_pause_before_send_drops_invoice(self):
        # Prepared on 04-15 for two invoices; one is disputed on 04-16: the
        # reminder sent that day is about the other one only.
        other = self._create_invoice(self.customer, DUE, 500.0)
        reminder = self._run(FIRST)
        self._pause(other, "2026-04-16", "dispute")
        self._send(reminder, "2026-04-16")
        self.assertEqual(reminder.state, "sent")
        self.assertEqual(self._level_lines(reminder), {self.invoice: self.level_first})
        self.assertEqual(other.dunning_state, "paused")
        self.assertFalse(other.dunning_level_id)
        self.assertIn(reminder.name, self._last_message(other))
        # Still owed, so still listed as outstanding (16 days late).
        self.assertEqual(reminder.other_line_ids.move_id, other)
        self.assertEqual(reminder.amount_overdue, 1500.0)

    def test_courtesy_notice_of_paused_invoice_dropped(self):
        # Courtesy notice prepared on 03-29, invoice paused on 03-30 (promise
        # to pay by 04-10): marking on 03-30 cancels the reminder, nothing is
        # listed since the invoice is not due yet.
        reminder = self._run("2026-03-29")
        self._pause(self.invoice, "2026-03-30", "promise", until="2026-04-10")
        self._mark(reminder, "2026-03-30")
        self.assertEqual(reminder.state, "cancelled")
        self.assertFalse(reminder.line_ids)
        self.assertFalse(self.invoice.dunning_level_id)

    def test_exclusion_before_send_cancels_reminder(self):
        # Prepared on 04-15; the customer is excluded on 04-16: marking the
        # reminder that day cancels it instead.
        reminder = self._run(FIRST)
        self.customer.dunning_excluded = True
        self._mark(reminder, "2026-04-16")
        self.assertEqual(reminder.state, "cancelled")
        self.assertEqual(self.invoice.dunning_count, 0)
        self.assertFalse(self.invoice.dunning_level_id)

    def test_partial_payment_before_send_updates_amount(self):
        # Prepared on 04-15 for 1,000.00; 300.00 paid on 04-16: sent for 700.00.
        reminder = self._run(FIRST)
        self._pay(self.invoice, 300.0, "2026-04-16")
        self._send(reminder, "2026-04-16")
        self.assertEqual(reminder.state, "sent")
        self.assertEqual(reminder.level_line_ids.amount_residual, 700.0)
        self.assertEqual(reminder.amount_net, 700.0)

    def test_credit_used_before_send_is_dropped(self):
        # The 150.00 credit note listed on 04-15 is matched with the invoice on
        # 04-16: at sending the credit line is gone and the invoice shows 850.00.
        refund = self._create_credit_note(self.customer, 150.0, "2026-04-05")
        reminder = self._run(FIRST)
        self.assertEqual(reminder.amount_net, 850.0)
        receivable = (self.invoice | refund).line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )
        receivable.reconcile()
        self._send(reminder, "2026-04-16")
        self.assertFalse(reminder.line_ids.filtered(lambda line: line.kind == "credit"))
        self.assertEqual(reminder.level_line_ids.amount_residual, 850.0)
        self.assertEqual(reminder.amount_credit, 0.0)
        self.assertEqual(reminder.amount_net, 850.0)

    def test_auto_send_scenario_sent_by_run(self):
        # Companies scenario sent automatically, Individuals not: after the run
        # of 04-17 the first is sent and its invoice at J+15, the other waits.
        self.scenario_business.auto_send = True
        self.level_first.send_email = True
        self.level_first.mail_template_id = self.env.ref(
            "dunning_scenario.mail_template_dunning_first"
        )
        individual_invoice = self._create_invoice(self.customer_individual, DUE, 300.0)
        reminders = self._run("2026-04-17")
        auto = reminders.filtered(lambda r: r.partner_id == self.customer)
        manual = reminders - auto
        self.assertEqual(auto.state, "sent")
        self.assertEqual(auto.reminded_by, "send")
        self.assertEqual(self.invoice.dunning_level_id, self.level_first)
        self.assertEqual(self.invoice.dunning_state, "reminded")
        self.assertEqual(manual.state, "draft")
        self.assertEqual(individual_invoice.dunning_state, "to_remind")

    def test_auto_send_batch_stops_at_its_time_budget(self):
        # With no time left after the first reminder, a batch sends one and says
        # how many remain; the next call sends the other.
        self.scenario_business.auto_send = True
        self.customer_individual.dunning_scenario_id = self.scenario_business
        self._create_invoice(self.customer_individual, DUE, 300.0)
        self.env["ir.config_parameter"].sudo().set_param("dunning_scenario.send_seconds", "0")
        Reminder = self.env["dunning.reminder"].with_user(self.accountant)
        companies = self.accountant.company_ids
        with self._frozen("2026-04-17"):
            self.assertEqual(Reminder._dunning_run_batch(companies, 200), (2, 2))
            self.assertEqual(Reminder._dunning_run_batch(companies, 200), (1, 1))
            self.assertEqual(Reminder._dunning_run_batch(companies, 200), (1, 0))
        reminders = Reminder.search(
            [("partner_id", "in", (self.customer | self.customer_individual).ids)]
        )
        self.assertEqual(reminders.mapped("state"), ["sent", "sent"])

    def test_auto_send_wakes_the_mail_queue_once_per_batch(self):
        self.scenario_business.auto_send = True
        self.level_first.write(
            {
                "send_email": True,
                "mail_template_id": self.env.ref("dunning_scenario.mail_template_dunning_first").id,
            }
        )
        self.customer_individual.dunning_scenario_id = self.scenario_business
        self._create_invoice(self.customer_individual, DUE, 300.0)
        queue = self.env.ref("mail.ir_cron_mail_scheduler_action")
        triggers = self.env["ir.cron.trigger"].sudo()
        before = triggers.search_count([("cron_id", "=", queue.id)])
        reminders = self._run("2026-04-17")
        self.assertEqual(reminders.mapped("state"), ["sent", "sent"])
        self.assertEqual(reminders.mapped("email_status"), ["queued", "queued"])
        self.assertEqual(triggers.search_count([("cron_id", "=", queue.id)]), before + 1)

    def test_litigation_never_sent_automatically(self):
        # First contact on 05-15 (second reminder, never a formal notice at
        # once), formal notice 7 days later on 05-22, litigation once its 8-day
        # deadline has passed (05-31): it waits for an accountant even in an
        # automatic scenario.
        self.scenario_business.auto_send = True
        self.assertEqual(self._run("2026-05-15").state, "sent")
        self.assertEqual(self.invoice.dunning_level_id, self.level_second)
        self.assertEqual(self._run("2026-05-22").state, "sent")
        self.assertEqual(self.invoice.dunning_level_id, self.level_formal_notice)
        self.assertFalse(self._run("2026-05-30"))
        reminder = self._run("2026-05-31")
        self.assertEqual(reminder.level_id, self.level_litigation)
        self.assertEqual(reminder.state, "draft")

    def test_sent_reminder_cannot_be_changed_or_deleted(self):
        reminder = self._run(FIRST)
        self._mark(reminder, FIRST)
        reminder = self._as_accountant(reminder)
        with self.assertRaises(UserError):
            reminder.user_id = self.accountant
        with self.assertRaises(UserError):
            reminder.action_cancel()
        with self.assertRaises(UserError), self._frozen(FIRST):
            reminder.action_send()
        # An accountant may not delete reminders at all; a manager not a sent one.
        with self.assertRaises(AccessError):
            reminder.unlink()
        with self.assertRaises(UserError):
            reminder.with_user(self.env.user).unlink()
        self.assertEqual(reminder.state, "sent")

    def test_sent_reminder_lines_cannot_be_changed_or_deleted(self):
        # The lines of a sent reminder are part of the proof too.
        reminder = self._run(FIRST)
        self._mark(reminder, FIRST)
        line = self._as_accountant(reminder.level_line_ids)
        with self.assertRaises(UserError):
            line.amount_residual = 1.0
        with self.assertRaises(UserError):
            line.unlink()
        self.assertEqual(reminder.level_line_ids.amount_residual, 1000.0)

    def test_new_payment_before_send_added_as_credit(self):
        # A 200.00 payment received on 04-16, not matched with the invoice: the
        # reminder sent that day shows it and asks for 800.00 net.
        reminder = self._run(FIRST)
        payment = self._create_unreconciled_payment(self.customer, 200.0, "2026-04-16")
        self._send(reminder, "2026-04-16")
        credit = reminder.line_ids.filtered(lambda line: line.kind == "credit")
        self.assertEqual(credit.move_id, payment.move_id)
        self.assertEqual(credit.amount_residual, -200.0)
        self.assertEqual(reminder.amount_net, 800.0)

    def test_cron_works_in_batches(self):
        # Three customers to remind on 04-15, one per batch: each call of the
        # scheduled job does one and asks to be called again while work remains.
        self._create_invoice(self.customer_individual, "2026-04-05", 300.0)
        self._create_invoice(self.customer_plain, DUE, 200.0)
        cron = self.env.ref("dunning_scenario.ir_cron_dunning_process")
        Trigger = self.env["ir.cron.trigger"].sudo()
        Reminder = self.env["dunning.reminder"]
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        with self._frozen(FIRST):
            Reminder._cron_process_dunning(batch_size=1)
            self.assertEqual(Reminder.search_count([]), 1)
            self.assertGreater(Trigger.search_count([("cron_id", "=", cron.id)]), triggers)
            Reminder._cron_process_dunning(batch_size=1)
            Reminder._cron_process_dunning(batch_size=1)
            self.assertEqual(Reminder.search_count([]), 3)
            Reminder._cron_process_dunning(batch_size=1)
        self.assertEqual(
            Reminder.search([]).partner_id,
            self.customer | self.customer_individual | self.customer_plain,
        )

    def test_foreign_currency_invoice(self):
        # 1,000.00 EUR at 2 EUR for 1 USD: 500.00 USD in the company currency.
        # A 600.00 USD minimum is 1,200.00 EUR: not reminded; at 400.00 USD
        # (800.00 EUR) it is. The reminder is in the invoice's currency, EUR:
        # one currency per message.
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        invoice = self._create_invoice(self.customer_plain, DUE, 1000.0, currency=eur)
        self.scenario_business.min_amount = 600.0
        reminders = self._run(FIRST)
        self.assertNotIn(invoice, reminders.line_ids.move_id)
        self.assertIn("below the scenario's minimum", invoice.dunning_skip_reason)
        self.scenario_business.min_amount = 400.0
        reminder = self._run("2026-04-16")
        line = reminder.level_line_ids
        self.assertEqual(line.move_id, invoice)
        self.assertEqual(line.currency_id, eur)
        self.assertEqual(line.amount_residual, 1000.0)
        self.assertEqual(line.amount_residual_company, 500.0)
        self.assertEqual(reminder.currency_id, eur)
        self.assertEqual(reminder.amount_reminded, 1000.0)
        self.assertEqual(reminder.amount_claimed, 1000.0)
        self.assertEqual(reminder.amount_net_company, 500.0)
        self.assertFalse(invoice.dunning_skip_reason)

    # ------------------------------------------------------------------
    # Chatter
    # ------------------------------------------------------------------

    def test_every_state_change_logged_on_invoice_and_customer(self):
        steps = []

        def check(step, logged=True):
            # Each step adds one message on the invoice and one on the customer,
            # except the preparation of a reminder by the run (issue #12): the
            # reminder itself is the record, on the invoice's Reminders tab.
            invoice_messages = self._messages(self.invoice)
            customer_messages = self._messages(self.customer)
            steps.append((step, len(invoice_messages), len(customer_messages)))
            if len(steps) > 1:
                __, invoice_count, customer_count = steps[-2]
                compare = self.assertGreater if logged else self.assertEqual
                compare(len(invoice_messages), invoice_count, step)
                compare(len(customer_messages), customer_count, step)

        check("start")
        self._pause(self.invoice, "2026-04-10", "dispute")
        check("paused")
        self.assertIn("paused", self._last_message(self.invoice))
        with self._frozen("2026-04-11"):
            self._as_accountant(self.invoice).action_dunning_resume()
        check("resumed")
        reminder = self._run(FIRST)
        check("prepared", logged=False)
        self.assertIn(reminder, self.invoice.dunning_reminder_ids)
        with self._frozen(FIRST):
            self._as_accountant(reminder).action_cancel()
        check("cancelled")
        self.assertIn("cancelled", self._last_message(self.invoice))
        self.assertIn(reminder.name, self._last_message(self.customer))
        reminder = self._run("2026-04-16")
        check("prepared again", logged=False)
        self.assertIn(reminder, self.invoice.dunning_reminder_ids)
        self._mark(reminder, "2026-04-16")
        check("marked")
        self.assertIn("marked as reminded", self._last_message(self.invoice))
        self.assertIn("marked as reminded", self._last_message(self.customer))
        self._as_accountant(self.invoice).action_dunning_exclude()
        check("excluded")
        self.assertIn("excluded", self._last_message(self.invoice))
