# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import operator as py_operator

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from .account_move import PAID_STATES

# The dunning status of a customer, most urgent first: a customer shows the
# first one that applies.
DUNNING_STATUSES = [
    ("litigation", "In litigation"),
    ("to_act", "To act on"),
    ("paused", "Paused"),
    ("waiting", "Waiting for its date"),
    ("nothing_due", "Nothing due"),
]
# Operators of the searches on amounts, as Python functions (their SQL is the
# same text).
SEARCH_OPERATORS = {
    "=": py_operator.eq,
    "!=": py_operator.ne,
    ">": py_operator.gt,
    ">=": py_operator.ge,
    "<": py_operator.lt,
    "<=": py_operator.le,
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_scenario_id = fields.Many2one(
        "dunning.scenario",
        string="Dunning Scenario",
        company_dependent=True,
        tracking=True,
        help="Forces the scenario of this customer, whatever its categories.",
    )
    dunning_effective_scenario_id = fields.Many2one(
        "dunning.scenario",
        string="Applied Dunning Scenario",
        compute="_compute_dunning_effective_scenario_id",
        help="The customer's own scenario, else the first scenario linked to one of "
        "its categories, else the company's default scenario.",
    )
    dunning_excluded = fields.Boolean(
        string="No Reminders",
        tracking=True,
        help="Never send payment reminders to this customer.",
    )
    dunning_responsible_id = fields.Many2one(
        "res.users",
        string="Dunning Responsible",
        tracking=True,
        help="Accountant in charge of this customer's reminders and phone calls.",
    )
    # Late-payment penalty rate agreed with this customer (French law: at least
    # 3 times the legal interest rate, checked per half-year when computing).
    dunning_contract_rate = fields.Float(
        string="Contractual Penalty Rate (%)",
        digits=(16, 2),
        company_dependent=True,
        tracking=True,
        help="Annual late-payment rate agreed with this customer, replacing the company's "
        "for its invoices dated from the start date. Empty: the company's rate.",
    )
    dunning_contract_rate_date = fields.Date(
        string="Contractual Rate Since",
        company_dependent=True,
        help="The customer's rate applies to its invoices dated from this day. Empty: "
        "all its invoices.",
    )
    dunning_reminder_ids = fields.One2many("dunning.reminder", "partner_id", string="Reminders")
    dunning_reminder_count = fields.Integer(compute="_compute_dunning_reminder_count")
    # Customer cockpit: computed for the companies selected in the company
    # switcher, one query per page of customers.
    dunning_overdue_amount = fields.Monetary(
        string="Overdue Amount",
        currency_field="currency_id",
        compute="_compute_dunning_cockpit",
        search="_search_dunning_overdue_amount",
        help="Left to pay on the customer's invoices past their due date, in company currency.",
    )
    dunning_oldest_due_date = fields.Date(
        string="Oldest Due Date",
        compute="_compute_dunning_cockpit",
        help="Due date of the customer's oldest invoice still open.",
    )
    dunning_status = fields.Selection(
        DUNNING_STATUSES,
        compute="_compute_dunning_cockpit",
        search="_search_dunning_status",
        help="In litigation: an open invoice reached the litigation level. To act on: a "
        "reminder waits to be sent, or one is due today. Paused: an overdue invoice whose "
        "reminders are paused or excluded (or the customer is excluded), nothing else to "
        "do. Waiting for its date: open invoices, the next reminder is planned later. "
        "Nothing due: no open invoice.",
    )
    dunning_next_date = fields.Date(
        string="Next Reminder",
        compute="_compute_dunning_cockpit",
        help="Next day the daily run plans to remind one of the customer's invoices.",
    )
    dunning_next_level_id = fields.Many2one(
        "dunning.level",
        string="Next Reminder Level",
        compute="_compute_dunning_cockpit",
    )
    dunning_last_reminder_id = fields.Many2one(
        "dunning.reminder",
        string="Last Reminder",
        compute="_compute_dunning_cockpit",
        help="The customer's latest reminder sent or marked as reminded.",
    )
    dunning_last_reminder_date = fields.Date(
        string="Last Reminder Date",
        compute="_compute_dunning_cockpit",
    )

    @api.depends_context("company")
    @api.depends(
        "dunning_scenario_id",
        "category_id",
        "commercial_partner_id.dunning_scenario_id",
        "commercial_partner_id.category_id",
    )
    def _compute_dunning_effective_scenario_id(self):
        scenarios = self._dunning_get_effective_scenarios(self.env.company)
        for partner in self:
            partner.dunning_effective_scenario_id = scenarios[partner.id]

    @api.model
    def _dunning_get_lang_missing_reason(self, lang, installed=None):
        """Why messages cannot be written in the language ``lang`` (a
        customer's), or False: it is not active in the database, so its texts
        would come out partly in another language.

        :param installed: the codes of the active languages, read here when
            not given (a caller asking for many customers reads them once)"""
        if installed is None:
            installed = {code for code, __ in self.env["res.lang"].get_installed()}
        if not lang or lang in installed:
            return False
        return self.env._(
            "the customer's language (%(lang)s) is not active in this database, so its "
            "messages would mix languages: activate it in Settings (Languages section) or "
            "change the customer's language",
            lang=lang,
        )

    def _compute_dunning_reminder_count(self):
        counts = dict(
            self.env["dunning.reminder"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.dunning_reminder_count = counts.get(partner.commercial_partner_id, 0)

    @api.constrains("dunning_contract_rate")
    def _check_dunning_contract_rate(self):
        for partner in self.filtered("dunning_contract_rate"):
            self.env["res.company"]._dunning_check_contract_rate_floor(
                partner.dunning_contract_rate
            )

    # ------------------------------------------------------------------
    # Customer cockpit
    # ------------------------------------------------------------------

    @api.model
    def _dunning_open_where(self):
        return SQL(
            """m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND m.payment_state NOT IN %s
               AND m.amount_residual > 0
               AND m.company_id = ANY(%s)""",
            PAID_STATES,
            self.env.companies.ids,
        )

    @api.model
    def _dunning_open_partners_sql(self, where=None):
        """SQL subquery of the commercial partners having an open invoice ``m``
        in the selected companies (matching ``where``, which may read the
        commercial partner as ``partner``)."""
        if not where:
            return SQL(
                "(SELECT m.commercial_partner_id FROM account_move m WHERE %s)",
                self._dunning_open_where(),
            )
        return SQL(
            """(SELECT m.commercial_partner_id
                  FROM account_move m
                  JOIN res_partner partner ON partner.id = m.commercial_partner_id
             LEFT JOIN dunning_invoice_plan p ON p.id = m.dunning_plan_id
                 WHERE %s AND %s)""",
            self._dunning_open_where(),
            where,
        )

    @api.model
    def _dunning_status_conditions(self):
        """The open invoice ``m`` (its reminder plan ``p``) of the commercial
        partner ``partner`` that puts its customer in each status (the first
        status that applies wins).

        :return: {status: SQL condition}, in the order of DUNNING_STATUSES
            (waiting and nothing_due excepted: what no condition catches)
        """
        today = self.env["account.move"]._dunning_today()
        return {
            "litigation": SQL("p.state = 'litigation'"),
            "to_act": SQL(
                """(p.state = 'to_remind'
                    OR (m.commercial_partner_id, m.company_id) IN (
                        SELECT r.partner_id, r.company_id
                          FROM dunning_reminder r
                         WHERE r.state = 'draft')
                    OR (p.state IN ('none', 'reminded')
                        AND NOT COALESCE(m.dunning_excluded, FALSE)
                        AND NOT COALESCE(partner.dunning_excluded, FALSE)
                        AND p.next_date <= %(today)s))""",
                today=today,
            ),
            "paused": SQL(
                """(COALESCE(partner.dunning_excluded, FALSE)
                    OR (m.invoice_date_due < %(today)s
                        AND (p.state = 'paused'
                             OR COALESCE(m.dunning_excluded, FALSE))))""",
                today=today,
            ),
        }

    @api.model
    def _dunning_cockpit_sql(self, partner_ids):
        """SQL query of the cockpit figures of these customers, those having
        open invoices in the selected companies: one row (partner_id, overdue,
        oldest, status) per commercial partner (no row: nothing due).

        :param partner_ids: commercial partner ids
        """
        today = self.env["account.move"]._dunning_today()
        conditions = self._dunning_status_conditions()
        status = SQL(
            "CASE %s ELSE 'waiting' END",
            SQL(" ").join(
                SQL("WHEN BOOL_OR(%s) THEN %s", condition, name)
                for name, condition in conditions.items()
            ),
        )
        return SQL(
            """
            SELECT m.commercial_partner_id AS partner_id,
                   COALESCE(SUM(m.amount_residual_signed)
                            FILTER (WHERE m.invoice_date_due < %(today)s), 0) AS overdue,
                   MIN(m.invoice_date_due) AS oldest,
                   %(status)s AS status
              FROM account_move m
              JOIN res_partner partner ON partner.id = m.commercial_partner_id
         LEFT JOIN dunning_invoice_plan p ON p.id = m.dunning_plan_id
             WHERE %(open)s AND m.commercial_partner_id = ANY(%(ids)s)
             GROUP BY m.commercial_partner_id
            """,
            today=today,
            status=status,
            open=self._dunning_open_where(),
            ids=partner_ids,
        )

    @api.model
    def _dunning_cockpit_figures(self, partner_ids):
        """Every cockpit figure of these customers, in one query.

        :param partner_ids: commercial partner ids
        :return: {partner id: dict of the cockpit values}, customers without an
            open invoice included
        """
        self.env.flush_all()
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT partner.id AS partner_id, figures.overdue, figures.oldest,
                       COALESCE(figures.status, 'nothing_due') AS status,
                       next_one.next_date, next_one.next_level_id,
                       last_one.id AS last_id, last_one.date AS last_date
                  FROM unnest(%(ids)s::int[]) AS partner (id)
             LEFT JOIN (%(figures)s) figures ON figures.partner_id = partner.id
             LEFT JOIN LATERAL (
                        SELECT p.next_date, p.next_level_id
                          FROM account_move m
                          JOIN dunning_invoice_plan p ON p.id = m.dunning_plan_id
                         WHERE %(open)s AND m.commercial_partner_id = partner.id
                           AND p.next_date IS NOT NULL
                           AND p.state IN ('none', 'reminded')
                           AND NOT COALESCE(m.dunning_excluded, FALSE)
                      ORDER BY p.next_date, m.id
                         LIMIT 1
                       ) next_one ON TRUE
             LEFT JOIN LATERAL (
                        SELECT r.id, r.date
                          FROM dunning_reminder r
                         WHERE r.partner_id = partner.id AND r.state = 'sent'
                           AND r.company_id = ANY(%(companies)s)
                      ORDER BY r.date DESC, r.id DESC
                         LIMIT 1
                       ) last_one ON TRUE
                """,
                ids=partner_ids,
                figures=self._dunning_cockpit_sql(partner_ids),
                open=self._dunning_open_where(),
                companies=self.env.companies.ids,
            )
        )
        return {row["partner_id"]: row for row in rows}

    @api.depends_context("company", "allowed_company_ids", "dunning_today")
    def _compute_dunning_cockpit(self):
        ids = [pid for pid in self.commercial_partner_id.ids if isinstance(pid, int)]
        figures = self._dunning_cockpit_figures(ids) if ids else {}
        Level = self.env["dunning.level"]
        Reminder = self.env["dunning.reminder"]
        for partner in self:
            values = figures.get(partner.commercial_partner_id.id, {})
            partner.dunning_overdue_amount = values.get("overdue") or 0.0
            partner.dunning_oldest_due_date = values.get("oldest") or False
            partner.dunning_status = values.get("status", "nothing_due")
            partner.dunning_next_date = values.get("next_date") or False
            partner.dunning_next_level_id = Level.browse(values.get("next_level_id"))
            partner.dunning_last_reminder_id = Reminder.browse(values.get("last_id"))
            partner.dunning_last_reminder_date = values.get("last_date") or False

    # The cockpit's columns that a list can be sorted on: {field: SQL column of
    # the per-customer figures of _order_field_to_sql}.
    _dunning_sortable = {
        "dunning_overdue_amount": "overdue",
        "dunning_oldest_due_date": "oldest",
    }

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        column = self._dunning_sortable.get(field_name)
        if not column:
            return super()._order_field_to_sql(alias, field_name, direction, nulls, query)
        # One aggregate of the open invoices, joined by commercial partner (a
        # contact sorts with its company, whose figures it shows).
        self.env["dunning.report.mixin"]._dunning_no_jit()
        self.env.flush_all()
        today = self.env["account.move"]._dunning_today()
        figures = query.make_alias(alias, "dunning_cockpit")
        query.add_join(
            "LEFT JOIN",
            figures,
            SQL(
                """(SELECT m.commercial_partner_id AS partner_id,
                           SUM(m.amount_residual_signed)
                               FILTER (WHERE m.invoice_date_due < %s) AS overdue,
                           MIN(m.invoice_date_due) AS oldest
                      FROM account_move m
                     WHERE %s
                     GROUP BY m.commercial_partner_id)""",
                today,
                self._dunning_open_where(),
            ),
            SQL(
                "%s = %s",
                SQL.identifier(figures, "partner_id"),
                SQL.identifier(alias, "commercial_partner_id"),
            ),
        )
        value = SQL.identifier(figures, column)
        if column == "overdue":
            value = SQL("COALESCE(%s, 0)", value)
        return SQL("%s %s %s", value, direction, nulls)

    # The filters of the cockpit: SQL subqueries run by the search itself (no
    # figure computed in Python). As the columns, they match the commercial
    # partners (a company, an individual), not their contacts.

    def _search_dunning_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the dunning status."))
        values = {value} if isinstance(value, str) or not value else set(value)
        if not value:
            values = {"nothing_due"}
        self.env["dunning.report.mixin"]._dunning_no_jit()
        self.env.flush_all()
        # Partners of each status: having an invoice of its condition, and none
        # of the statuses before it (semi- and anti-joins, no figure added up).
        conditions = self._dunning_status_conditions()
        conditions["waiting"] = None  # any open invoice
        before = []
        domains = []
        for status, condition in conditions.items():
            if status in values:
                domains.append(
                    [
                        ("id", "in", self._dunning_open_partners_sql(condition)),
                        *[("id", "not in", sql) for sql in before],
                    ]
                )
            before.append(self._dunning_open_partners_sql(condition))
        if "nothing_due" in values:
            domains.append([("id", "not in", self._dunning_open_partners_sql())])
        domain = expression.OR(domains) if domains else expression.FALSE_DOMAIN
        if operator in ("!=", "not in"):
            domain = ["!", *domain]
        return domain

    def _search_dunning_overdue_amount(self, operator, value):
        if operator not in SEARCH_OPERATORS:
            raise UserError(self.env._("Unsupported search on the overdue amount."))
        compare = SEARCH_OPERATORS[operator]
        value = value or 0.0
        self.env["dunning.report.mixin"]._dunning_no_jit()
        self.env.flush_all()
        today = self.env["account.move"]._dunning_today()

        def overdue_partners(condition):
            return SQL(
                """(SELECT m.commercial_partner_id FROM account_move m
                     WHERE %s AND m.invoice_date_due < %s
                     GROUP BY m.commercial_partner_id
                    HAVING %s)""",
                self._dunning_open_where(),
                today,
                condition,
            )

        if operator == ">" and not value:
            # The "Overdue" filter: an invoice left to pay past its due date (each
            # counts for a positive amount), found without adding them up.
            return [
                (
                    "id",
                    "in",
                    self._dunning_open_partners_sql(
                        SQL(
                            "m.invoice_date_due < %s AND m.amount_residual_signed > 0",
                            today,
                        )
                    ),
                )
            ]
        total = SQL("SUM(m.amount_residual_signed) %s %s", SQL(operator), value)
        if compare(0.0, value):
            # Customers without overdue invoices match: exclude those that do not.
            return [("id", "not in", overdue_partners(SQL("NOT (%s)", total)))]
        return [("id", "in", overdue_partners(total))]

    def action_dunning_remind_now(self):
        """Create now the reminders of these customers, as the daily run would."""
        reminders = self.env["dunning.reminder"]._dunning_remind_partners(self)
        if not reminders:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._(
                        "Nothing to remind today for %(customers)s: no invoice has reached "
                        "a reminder level, or its reminder is already waiting.",
                        customers=", ".join(self.commercial_partner_id.mapped("display_name")),
                    ),
                },
            }
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "dunning_scenario.dunning_reminder_action"
        )
        action["domain"] = [("id", "in", reminders.ids)]
        action["context"] = {}
        if len(reminders) == 1:
            action.update({"res_id": reminders.id, "views": [(False, "form")], "view_mode": "form"})
        return action

    def action_view_dunning_receivables(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "dunning_scenario.dunning_receivable_report_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Customer statement (relevé de compte)
    # ------------------------------------------------------------------

    def _get_dunning_statement(self, company=None):
        """The customer's open items in ``company``: every invoice, credit note
        and payment not fully matched, by currency, with the running balance.

        :return: list of {"currency", "lines": [dict], "total", "overdue"}, one per
            currency, amounts in that currency
        """
        self.ensure_one()
        company = company or self.env.company
        today = self.env["account.move"]._dunning_today()
        lines = self.env["account.move.line"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("partner_id", "child_of", self.commercial_partner_id.id),
                ("company_id", "=", company.id),
            ],
            order="date, id",
        )
        by_currency = {}
        for line in lines:
            currency = line.currency_id
            if currency.is_zero(line.amount_residual_currency):
                continue
            section = by_currency.setdefault(
                currency, {"currency": currency, "lines": [], "total": 0.0, "overdue": 0.0}
            )
            move = line.move_id
            due = line.date_maturity if line.amount_currency > 0 else False
            section["total"] += line.amount_residual_currency
            if due and due < today and line.amount_residual_currency > 0:
                section["overdue"] += line.amount_residual_currency
            section["lines"].append(
                {
                    "date": line.date,
                    "name": move.name,
                    "ref": move.ref if move.ref != move.name else "",
                    "kind": move.move_type,
                    "date_due": due,
                    "days_overdue": (today - due).days if due and due < today else 0,
                    "amount": line.amount_currency,
                    "residual": line.amount_residual_currency,
                    "balance": section["total"],
                }
            )
        return list(by_currency.values())

    def action_dunning_send_statement(self):
        """Email each customer its statement of account (PDF attached), in its
        language. Posted on the customer as the accountant (billing users may not
        edit customers, hence the sudo: the template decides what is sent)."""
        template = self.env.ref("dunning_scenario.mail_template_dunning_statement")
        customers = self.commercial_partner_id
        missing = customers.filtered(lambda p: not p.email)
        if missing:
            raise UserError(
                self.env._(
                    "No email address for %(customers)s: print the statement instead.",
                    customers=", ".join(missing.mapped("display_name")),
                )
            )
        for customer in customers:
            # The accountant is the author; the sender is the template's (the
            # company's address, else the accountant's). Given an author alone,
            # the composer leaves the sender empty and the email cannot go.
            email_from = template._render_field("email_from", customer.ids)[customer.id]
            customer.sudo().message_post_with_source(
                template,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                author_id=self.env.user.partner_id.id,
                email_from=email_from or self.env.user.email_formatted,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Statement of account sent to %(customers)s.",
                    customers=", ".join(customers.mapped("display_name")),
                ),
            },
        }

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "dunning_excluded",
            "dunning_responsible_id",
            "dunning_contract_rate",
            "dunning_contract_rate_date",
        ]

    def write(self, vals):
        res = super().write(vals)
        if {"dunning_scenario_id", "category_id", "dunning_excluded"} & set(vals):
            # Categories are shared by all companies: re-plan everywhere.
            self.env["account.move"]._dunning_reset_schedule(partners=self.commercial_partner_id)
        if {"dunning_contract_rate", "dunning_contract_rate_date"} & set(vals):
            moves = self.env["account.move"].search(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)]
            )
            self.env["dunning.reminder.line"]._dunning_recompute_draft_penalties(moves=moves)
        return res

    def action_view_dunning_reminders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "dunning_scenario.dunning_reminder_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
