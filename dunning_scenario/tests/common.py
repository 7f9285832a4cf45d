# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Shared set-up of the dunning tests.

The test company of ``AccountTestInvoicingCommon`` is not ``base.main_company``
(where the default data scenarios live), so it gets its own scenarios here:

* ``scenario_business`` (sequence 10, category "Companies", company default):
  J-2 courtesy notice, J+15, J+30, J+45 formal notice, J+60 litigation,
  7 days at least between two reminders of an invoice;
* ``scenario_consumer`` (sequence 20, category "Individuals"): J+7, J+25,
  J+45 formal notice, J+75 litigation, 10 days between reminders.

Every dunning action is done as ``cls.accountant``, a billing user of the test
company (``account.group_account_invoice``, which implies the reminder user
group), never as a superuser.
"""

from contextlib import contextmanager
from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields, http
from odoo.sql_db import Cursor
from odoo.tests import new_test_user
from odoo.tools import SQL, html2plaintext

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class DunningCommon(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo's HTTP server lists the static folders of every addon (reading
        # each manifest with ast) at its first request. Do it here, in the test
        # thread: CPython 3.11 can fail with "AST constructor recursion depth
        # mismatch" when two threads parse at once, and a browser test's first
        # request would do it in the server thread while this one runs Python.
        assert http.root.statics is not None
        cls.company = cls.company_data["company"]
        cls.accountant = new_test_user(
            cls.env,
            login="dunning_accountant",
            name="Dunning Accountant",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

        # Customer profiles shipped by the addon.
        cls.category_company = cls.env.ref("dunning_scenario.partner_category_company")
        cls.category_individual = cls.env.ref("dunning_scenario.partner_category_individual")
        cls.category_public = cls.env.ref("dunning_scenario.partner_category_public")
        cls.category_key_account = cls.env.ref("dunning_scenario.partner_category_key_account")

        # Scenarios of the test company.
        cls.scenario_business = cls._create_scenario(
            "Test Companies",
            [
                ("Courtesy notice", -2, {}),
                ("First reminder", 15, {}),
                ("Second reminder", 30, {}),
                ("Formal notice", 45, {"is_formal_notice": True}),
                ("Litigation", 60, {"is_litigation": True}),
            ],
            sequence=10,
            categories=cls.category_company,
            min_interval_days=7,
        )
        (
            cls.level_courtesy,
            cls.level_first,
            cls.level_second,
            cls.level_formal_notice,
            cls.level_litigation,
        ) = cls.scenario_business._get_sorted_levels()
        cls.scenario_consumer = cls._create_scenario(
            "Test Individuals",
            [
                ("Friendly reminder", 7, {}),
                ("Second reminder", 25, {}),
                ("Formal notice", 45, {"is_formal_notice": True}),
                ("Litigation", 75, {"is_litigation": True}),
            ],
            sequence=20,
            categories=cls.category_individual,
            debtor_type="consumer",
            min_interval_days=10,
        )
        cls.company.dunning_default_scenario_id = cls.scenario_business

        # Customers: one per way of choosing a scenario.
        cls.customer_company = cls._create_customer("Acme Industries", cls.category_company)
        cls.customer_individual = cls._create_customer("Jeanne Martin", cls.category_individual)
        cls.customer_plain = cls._create_customer("Plain Customer")

    # ------------------------------------------------------------------
    # Set-up helpers
    # ------------------------------------------------------------------

    @classmethod
    def _create_scenario(cls, name, levels, sequence=10, categories=None, company=None, **values):
        """Create a scenario with its levels.

        :param levels: list of (name, delay in days, extra level values)
        """
        company = company or cls.company
        return cls.env["dunning.scenario"].create(
            {
                "name": name,
                "sequence": sequence,
                "company_id": company.id,
                "partner_category_ids": [Command.set(categories.ids if categories else [])],
                "level_ids": [
                    Command.create(
                        {
                            "sequence": 10 * (index + 1),
                            "name": level_name,
                            "delay_days": delay,
                            "send_email": False,
                            **extra,
                        }
                    )
                    for index, (level_name, delay, extra) in enumerate(levels)
                ],
                **values,
            }
        )

    @classmethod
    def _create_customer(cls, name, categories=None, **values):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "email": f"{name.lower().replace(' ', '.')}@example.com",
                "category_id": [Command.set(categories.ids if categories else [])],
                **values,
            }
        )

    @classmethod
    def _create_invoice(
        cls,
        partner,
        due_date,
        amount,
        invoice_date=None,
        currency=None,
        post=True,
        company=None,
        move_type="out_invoice",
    ):
        """A customer invoice of one tax-free line, so ``amount`` is exactly
        what is left to pay. Without ``invoice_date``, it is dated 30 days
        before ``due_date``."""
        company = company or cls.company
        due_date = fields.Date.to_date(due_date)
        invoice_date = fields.Date.to_date(invoice_date) or due_date - timedelta(days=30)
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": due_date if move_type == "out_invoice" else False,
                    "invoice_payment_term_id": False,
                    "currency_id": (currency or company.currency_id).id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Consulting",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        if move_type == "out_invoice":
            # Without payment terms the due date is the one given.
            move.invoice_date_due = due_date
        if post:
            move.action_post()
        return move

    @classmethod
    def _create_credit_note(cls, partner, amount, invoice_date, company=None):
        return cls._create_invoice(
            partner,
            invoice_date,
            amount,
            invoice_date=invoice_date,
            company=company,
            move_type="out_refund",
        )

    @classmethod
    def _pay(cls, invoice, amount, payment_date):
        """Register a payment of ``amount`` on ``invoice`` as the accountant."""
        return (
            cls.env["account.payment.register"]
            .with_user(cls.accountant)
            .with_company(invoice.company_id)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": payment_date})
            ._create_payments()
        )

    @classmethod
    def _create_unreconciled_payment(cls, partner, amount, payment_date, company=None):
        """A customer payment received but not matched with any invoice."""
        company = company or cls.company
        payment = (
            cls.env["account.payment"]
            .with_company(company)
            .create(
                {
                    "amount": amount,
                    "date": payment_date,
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "currency_id": company.currency_id.id,
                }
            )
        )
        payment.action_post()
        return payment

    # ------------------------------------------------------------------
    # Running the engine
    # ------------------------------------------------------------------

    @staticmethod
    @contextmanager
    def _spy_queries():
        """Collect the text of every SQL statement run inside the block."""
        queries = []
        execute = Cursor.execute

        def spy(cursor, query, params=None, log_exceptions=True):
            queries.append(query.code if isinstance(query, SQL) else str(query))
            return execute(cursor, query, params, log_exceptions)

        with patch.object(Cursor, "execute", spy):
            yield queries

    @staticmethod
    def _frozen(day):
        """freeze_time at noon of ``day``, so that the user's time zone cannot
        move the date."""
        return freeze_time(f"{fields.Date.to_string(fields.Date.to_date(day))} 12:00:00")

    def _run(self, run_date, user=None):
        """Run the daily dunning job on ``run_date`` as the accountant.

        :return: the reminders created by this run (in the user's environment)
        """
        user = user or self.accountant
        Reminder = self.env["dunning.reminder"].with_user(user)
        before = Reminder.sudo().search([]).ids
        with self._frozen(run_date):
            Reminder._dunning_run()
        return Reminder.search([("id", "not in", before)])

    def _mark(self, reminders, day):
        """The accountant marks ``reminders`` as reminded on ``day``."""
        with self._frozen(day):
            self._as_accountant(reminders).action_mark_reminded()

    def _send(self, reminders, day):
        """The accountant sends ``reminders`` on ``day``."""
        with self._frozen(day):
            self._as_accountant(reminders).action_send()

    def _run_and_mark(self, day):
        """Run on ``day`` and mark what it prepared as reminded, the same day."""
        reminders = self._run(day)
        self._mark(reminders, day)
        return reminders

    def _as_accountant(self, records):
        return records.with_user(self.accountant)

    @staticmethod
    def _d(value):
        """``date`` from an ISO string, to keep assertions readable."""
        return date.fromisoformat(value)

    def _level_lines(self, reminder):
        """{invoice: level} of the invoices reminded by ``reminder``."""
        return {line.move_id: line.level_id for line in reminder.level_line_ids}

    def _messages(self, record):
        """Text of the chatter messages of ``record``, newest first."""
        return [
            html2plaintext(message.body) for message in record.sudo().message_ids if message.body
        ]
