# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily run's creation of reminders, for a batch of customers.

The batch is read as plain values (dunning_run_read), and its customers'
scenarios in one query; the invoices are planned in plain Python
(dunning_plan), and the reminders and their lines written by SQL
(dunning_run_insert). The invoices' plans
(dunning_invoice_plan) are updated a thousand at a time, by a second thread
while the next customers are planned.
"""

import functools
from collections import defaultdict
from datetime import timedelta

from odoo import api, models, tools

from .dunning_float import Rounding
from .dunning_plan import plan, plan_levels
from .dunning_run_read import CreditLine
from .dunning_writer import BackgroundWriter

# Invoices whose decisions (their plans) are written at a time while the run
# plans the next customers of its batch.
PLAN_CHUNK = 1000


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    # ------------------------------------------------------------------
    # Deciding
    # ------------------------------------------------------------------

    @api.model
    def _dunning_get_partner_skip_reason(self, partner, scenario, installed_langs=None):
        """Why this customer's invoices are not reminded at all, or False.

        :param installed_langs: the codes of the active languages (read here
            when not given)"""
        if not partner.active:
            return self.env._("Not reminded: the customer is archived.")
        if partner.dunning_excluded:
            return self.env._("Not reminded: the customer is excluded from reminders.")
        if not scenario:
            return self.env._(
                "Not reminded: no dunning scenario applies to this customer (none on the "
                "customer, its categories or the company)."
            )
        lang_missing = self.env["res.partner"]._dunning_get_lang_missing_reason(
            partner.lang, installed_langs
        )
        if lang_missing:
            return self.env._("Not reminded: %(reason)s.", reason=lang_missing)
        return False

    @api.model
    def _dunning_get_amount_skip_reason(
        self, targets, candidates, credit_lines, currency, minimum, today, rounding=None
    ):
        """Why nothing is asked of the customer although invoices reach a level:
        what the reminder would ask (the invoices reaching a level and the other
        overdue ones, less the credits and unmatched payments) is not positive,
        or below the scenario's minimum; else False.

        :param targets: ids of the invoices reaching a level
        :param candidates: the customer's open invoices (OpenInvoice)
        :param credit_lines: its credits (CreditLine)
        :param rounding: the currency's Rounding (made here when not given)
        """
        compare = (rounding or Rounding(currency.rounding)).compare
        overdue = sum(
            move.amount_residual
            for move in candidates
            if move.id in targets or (move.due and move.due < today)
        )
        credit = -sum(line.amount_residual_currency for line in credit_lines)
        net = overdue - credit
        if compare(net, 0) <= 0:
            return self.env._(
                "Not reminded: the customer's credits and unmatched payments "
                "(%(credit)s) cover its overdue invoices (%(overdue)s).",
                credit=tools.format_amount(self.env, credit, currency),
                overdue=tools.format_amount(self.env, overdue, currency),
            )
        if compare(net, minimum) < 0:
            return self.env._(
                "Not reminded: the net amount due (%(net)s) is below the scenario's "
                "minimum (%(minimum)s).",
                net=tools.format_amount(self.env, net, currency),
                minimum=tools.format_amount(self.env, minimum, currency),
            )
        return False

    @api.model
    def _dunning_plan_invoices(
        self, examined, planner, delays, notice_days, min_amount, currency, rounding, today
    ):
        """Plan a customer's examined invoices: the level each one reaches today,
        if any, and its next examination.

        :param examined: its invoices examined today (OpenInvoice)
        :param planner: its scenario's dunning_plan.plan, bound to its levels and today
        :param delays: {level id: delay in days}
        :param notice_days: the company's days given by a formal notice
        :param min_amount: the scenario's minimum, in the invoices' currency
        :return: ({invoice id: level reached}, {invoice id: (next date, next
            level id, reason not reminded or None)})
        """
        targets, move_plans = {}, {}
        for move in examined:
            level, next_date, next_level = planner(
                move.due or move.invoice_date or today,
                delays.get(move.level_id) if move.level_id else None,
                move.last_date,
                move.notice_date,
                formal_notice_days=notice_days,
            )
            move_reason = None
            # (open invoices have something left to pay: without a minimum
            # nothing is below it)
            if level and min_amount and rounding.compare(move.amount_residual, min_amount) < 0:
                level, next_date, next_level = None, None, None
                move_reason = self.env._(
                    "Not reminded: left to pay (%(amount)s) below the scenario's minimum "
                    "(%(minimum)s).",
                    amount=tools.format_amount(self.env, move.amount_residual, currency),
                    minimum=tools.format_amount(self.env, min_amount, currency),
                )
            if level:
                targets[move.id] = level
            move_plans[move.id] = (next_date, next_level.id if next_level else None, move_reason)
        return targets, move_plans

    @api.model
    def _dunning_generate(self, keys, today):
        """Create the reminders of the given (customer, company, currency) triples.

        Every examined invoice gets its next examination planned; one that is
        not reminded gets the reason on it (``dunning_skip_reason``), shown on
        the invoice and in the overdue list.

        :return: the reminders created
        """
        self.env.flush_all()
        partner_ids = sorted({key[0] for key in keys})
        company_ids = sorted({key[1] for key in keys})
        moves_by_key = defaultdict(list)
        open_by_customer = defaultdict(list)
        for move in self._dunning_read_open_invoices(partner_ids, company_ids):
            moves_by_key[(move.partner_id, move.company_id, move.currency_id)].append(move)
            open_by_customer[(move.partner_id, move.company_id)].append(move.id)
        credits_by_key = defaultdict(list)
        for line in self._dunning_read_credit_lines(partner_ids, company_ids):
            credits_by_key[(line.partner_id, line.company_id, line.currency_id)].append(line)

        customers = self._dunning_read_customers(partner_ids)
        partners = self.env["res.partner"].with_context(active_test=False).browse(partner_ids)
        companies = self.env["res.company"].browse(company_ids)
        scenario_by_company = {
            company.id: partners._dunning_get_effective_scenario_ids(company)
            for company in companies
        }
        Scenario = self.env["dunning.scenario"]
        # id -> (record, its levels (dunning_plan.Level), its planner, debtor type)
        scenarios = {}
        for scenario in Scenario.browse(
            {sid for by_id in scenario_by_company.values() for sid in by_id.values() if sid}
        ):
            levels = plan_levels(scenario._get_sorted_levels())
            # plan() of the same values gives the same answer: many invoices
            # share their due date and history.
            planner = functools.lru_cache(maxsize=None)(
                functools.partial(plan, levels, today, min_interval_days=scenario.min_interval_days)
            )
            scenarios[scenario.id] = (scenario, levels, planner, scenario.debtor_type)
        no_scenario = (Scenario, None, None, None)
        previous_dates = self._dunning_previous_dates(partner_ids)
        reminded_today = self._dunning_keys_reminded_on(partner_ids, today)
        paid_late = self._dunning_get_paid_late_lines(partner_ids, companies)
        delays = self._dunning_level_delays()
        notice_days = {company.id: company.dunning_formal_notice_days for company in companies}
        currencies = {
            currency.id: (currency, Rounding(currency.rounding))
            for currency in self.env["res.currency"].browse({key[2] for key in keys})
        }
        installed_langs = {code for code, __ in self.env["res.lang"].get_installed()}
        minimums = {}
        plans = {}  # move id -> (next date, next level id, skip reason, reminded)
        reminders = []
        tomorrow = today + timedelta(days=1)
        Plan = self.env["dunning.invoice.plan"]
        # The decisions and the reminders are written by a second thread while
        # the next ones are computed (see BackgroundWriter).
        with BackgroundWriter(self.env.cr) as writer:
            for key in sorted(set(keys)):
                if len(plans) >= PLAN_CHUNK:
                    # written while the next customers are planned
                    writer.submit(*Plan._dunning_decision_statements(plans, today))
                    plans = {}
                partner_id, company_id, currency_id = key
                customer = customers[partner_id]
                candidates = moves_by_key[key]
                examined = [
                    m
                    for m in candidates
                    if m.state in ("none", "reminded")
                    and not m.excluded
                    and (
                        (m.next_date and m.next_date <= today)
                        or (not m.next_date and (not m.checked_date or m.checked_date < today))
                    )
                ]
                scenario_id = scenario_by_company[company_id].get(partner_id)
                scenario, levels, planner, debtor_type = scenarios.get(scenario_id, no_scenario)
                reason = self._dunning_get_partner_skip_reason(customer, scenario, installed_langs)
                if not reason and not levels:
                    reason = self.env._(
                        "Not reminded: the scenario %(scenario)s has no level.",
                        scenario=scenario.name,
                    )
                if reason:
                    plans.update((move.id, (None, None, reason, False)) for move in examined)
                    continue
                if key in reminded_today:
                    # At most one reminder a day for a customer and currency: what
                    # reaches a level now waits for tomorrow's run.
                    plans.update((move.id, (tomorrow, None, None, False)) for move in examined)
                    continue
                currency, rounding = currencies[currency_id]
                if (scenario_id, currency_id, company_id) not in minimums:
                    company = companies.browse(company_id)
                    minimums[(scenario_id, currency_id, company_id)] = company.currency_id._convert(
                        scenario.min_amount, currency, company, today
                    )
                min_amount = minimums[(scenario_id, currency_id, company_id)]
                targets, move_plans = self._dunning_plan_invoices(
                    examined,
                    planner,
                    delays,
                    notice_days[company_id],
                    min_amount,
                    currency,
                    rounding,
                    today,
                )
                reason = None
                if targets:
                    reason = self._dunning_get_amount_skip_reason(
                        targets,
                        candidates,
                        credits_by_key[key],
                        currency,
                        min_amount,
                        today,
                        rounding,
                    )
                    if reason:
                        targets = {}
                for move_id, (next_date, next_level_id, move_reason) in move_plans.items():
                    plans[move_id] = (
                        next_date,
                        next_level_id,
                        reason or move_reason,
                        move_id in targets,
                    )
                if targets:
                    reminders.append(
                        self._prepare_reminder_vals(
                            customer,
                            scenario,
                            company_id,
                            today,
                            targets,
                            candidates,
                            credits_by_key[key],
                            previous_dates.get(partner_id),
                            paid_late.get(key, []) if debtor_type != "consumer" else [],
                        )
                    )
            langs = {customer.id: customer.lang for customer in customers.values()}
            created = self._dunning_insert_reminders(
                reminders,
                open_by_customer,
                langs,
                writer=writer,
                first=Plan._dunning_decision_statements(plans, today),
            )
        # What the ORM holds of the plans (and of the invoices' related fields)
        # is stale.
        self.env.invalidate_all()
        return created

    # ------------------------------------------------------------------
    # Reminder and line values
    # ------------------------------------------------------------------

    @api.model
    def _prepare_reminder_vals(
        self,
        customer,
        scenario,
        company_id,
        today,
        targets,
        candidates,
        credit_lines,
        previous_date,
        extra_lines=(),
    ):
        """The values of a reminder and of its lines (``line_ids``: list of
        dicts), penalties apart.

        :param customer: a Customer
        :param targets: {invoice id: level reached (dunning_plan.Level)} in the
            invoices' order
        :param candidates: the customer's open invoices (OpenInvoice), oldest due first
        :param credit_lines: its credits (CreditLine)
        :param extra_lines: more lines (values) to list, such as invoices paid late
        """
        top_level = max(targets.values(), key=lambda level: (level.sequence, level.delay_days))
        by_id = {move.id: move for move in candidates}
        lines = [
            self._prepare_reminder_line_vals(by_id[move_id], today, "level", level)
            for move_id, level in targets.items()
        ]
        lines += [
            self._prepare_reminder_line_vals(move, today, "overdue")
            for move in candidates
            if move.id not in targets and move.due and move.due < today
        ]
        lines += [self._prepare_reminder_credit_line_vals(line) for line in credit_lines]
        lines += [dict(line) for line in extra_lines]
        return {
            "partner_id": customer.id,
            "scenario_id": scenario.id,
            "level_id": top_level.id,
            "company_id": company_id,
            "currency_id": by_id[next(iter(targets))].currency_id,
            "previous_reminder_count": min(by_id[move_id].count or 0 for move_id in targets),
            "date": today,
            "user_id": customer.user_id,
            "previous_date": previous_date or None,
            "line_ids": lines,
        }

    @api.model
    def _prepare_reminder_line_vals(self, move, today, kind, level=None):
        """:param move: an OpenInvoice
        :param level: the level it reaches (dunning_plan.Level)"""
        return {
            "kind": kind,
            "move_id": move.id,
            "name": move.name,
            "date": move.invoice_date,
            "date_due": move.due,
            "days_overdue": max((today - move.due).days, 0) if move.due else 0,
            "level_id": level.id if level else None,
            "currency_id": move.currency_id,
            "amount_total": move.amount_total,
            "amount_residual": move.amount_residual,
            "amount_residual_company": move.amount_residual_signed,
            "penalty_invoice": move.penalty_invoice(),
        }

    @api.model
    def _prepare_reminder_credit_line_vals(self, line):
        """:param line: an account.move.line, or a CreditLine"""
        if isinstance(line, CreditLine):
            return {
                "kind": "credit",
                "move_id": line.move_id,
                "move_line_id": line.id,
                "name": line.name,
                "date": line.date,
                "currency_id": line.currency_id,
                "amount_total": line.amount_currency,
                "amount_residual": line.amount_residual_currency,
                "amount_residual_company": line.amount_residual,
                "is_payment": line.is_payment,
            }
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
