# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The limitation date of a customer invoice (prescription): the day the claim
becomes time-barred, by debtor type."""

from collections import defaultdict
from datetime import date

from odoo import api, fields, models
from odoo.tools import SQL

from .dunning_invoice_plan import PAID_STATES


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_prescription_date = fields.Date(
        string="Limitation Date",
        compute="_compute_dunning_prescription_date",
        store=True,
        copy=False,
        help="Day the claim becomes time-barred, unless legal action was started before: "
        "due date + 5 years for business debtors, + 2 years for consumers; for public "
        "buyers, 1 January of the fifth year after the due date's year (four-year rule). "
        "A formal notice does not interrupt it.",
    )

    @api.depends(
        "move_type",
        "invoice_date_due",
        "commercial_partner_id.category_id",
        "commercial_partner_id.dunning_scenario_id",
    )
    def _compute_dunning_prescription_date(self):
        # The debtor type comes from the customer's scenario; without a scenario
        # the business rule applies. Recomputed when a scenario's debtor type or
        # a customer's scenario changes (_dunning_recompute_prescription).
        for company, moves in self.grouped("company_id").items():
            invoices = moves.filtered(lambda m: m.move_type == "out_invoice" and m.invoice_date_due)
            (moves - invoices).dunning_prescription_date = False
            scenarios = invoices.commercial_partner_id._dunning_get_effective_scenarios(company)
            for move in invoices:
                scenario = scenarios.get(move.commercial_partner_id.id)
                move.dunning_prescription_date = self._dunning_get_prescription_date(
                    move.invoice_date_due, scenario.debtor_type if scenario else "business"
                )

    @api.model
    def _dunning_get_prescription_date(self, due, debtor_type):
        """Day a claim due on ``due`` becomes time-barred.

        * consumer: 2 years from the due date (Code de la consommation L218-2);
        * public buyer: the four-year rule (loi 68-1250, déchéance quadriennale):
          4 years from 1 January of the year after the one in which the right
          arose, the due date's year: due on 30 June 2022, lapses on 1 January 2027;
        * business: 5 years from the due date (Code de commerce L110-4).
        """
        if debtor_type == "public":
            return date(due.year + 5, 1, 1)
        return fields.Date.add(due, years=2 if debtor_type == "consumer" else 5)

    @api.model
    def _dunning_recompute_prescription(self, companies=None, partners=None):
        """Recompute the limitation date of open invoices (a scenario's debtor
        type or a customer's scenario changed), as _compute_dunning_prescription_date
        does, in one statement per thousand customers that rewrites only the
        dates that change (installing on a large ledger, or changing a default
        scenario, must not recompute every invoice through the ORM)."""
        self.env.flush_all()
        where = SQL(
            "m.move_type = 'out_invoice' AND m.state = 'posted' AND m.payment_state NOT IN %s"
            " AND (%s) AND (%s)",
            PAID_STATES,
            SQL("m.company_id = ANY(%s)", companies.ids) if companies is not None else SQL("TRUE"),
            SQL("m.commercial_partner_id = ANY(%s)", partners.ids)
            if partners is not None
            else SQL("TRUE"),
        )
        pairs = self.env.execute_query(
            SQL(
                "SELECT DISTINCT m.company_id, m.commercial_partner_id FROM account_move m"
                " WHERE %s",
                where,
            )
        )
        by_company = defaultdict(list)
        for company_id, partner_id in pairs:
            by_company[company_id].append(partner_id)
        debtors = []  # (company id, customer id, debtor type)
        for company_id, partner_ids in by_company.items():
            company = self.env["res.company"].browse(company_id)
            customers = self.env["res.partner"].browse(pid for pid in partner_ids if pid)
            scenarios = customers._dunning_get_effective_scenarios(company)
            for partner_id in partner_ids:
                scenario = scenarios.get(partner_id)
                debtors.append(
                    (company_id, partner_id, scenario.debtor_type if scenario else "business")
                )
        day = SQL(
            """CASE
                   WHEN m.invoice_date_due IS NULL THEN NULL
                   WHEN %(debtor)s = 'public'
                   THEN make_date(EXTRACT(YEAR FROM m.invoice_date_due)::int + 5, 1, 1)
                   WHEN %(debtor)s = 'consumer'
                   THEN (m.invoice_date_due + INTERVAL '2 years')::date
                   ELSE (m.invoice_date_due + INTERVAL '5 years')::date
               END""",
            debtor=SQL("v.debtor"),
        )
        known = [debtor for debtor in debtors if debtor[1]]
        for start in range(0, len(known), 1000):
            chunk = known[start : start + 1000]
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE account_move m
                       SET dunning_prescription_date = %(day)s
                      FROM (VALUES %(values)s) AS v(company_id, partner_id, debtor)
                     WHERE m.commercial_partner_id = v.partner_id
                       AND m.company_id = v.company_id
                       AND m.commercial_partner_id = ANY(%(partner_ids)s)
                       AND %(where)s
                       AND m.dunning_prescription_date IS DISTINCT FROM %(day)s
                    """,
                    day=day,
                    values=SQL(", ").join(
                        SQL("(%s, %s, %s::varchar)", *debtor) for debtor in chunk
                    ),
                    partner_ids=list({debtor[1] for debtor in chunk}),
                    where=where,
                )
            )
        if any(not debtor[1] for debtor in debtors):
            # invoices without customer: no scenario, the business rule
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE account_move m
                       SET dunning_prescription_date = %(day)s
                      FROM (SELECT 'business' AS debtor) AS v
                     WHERE m.commercial_partner_id IS NULL
                       AND %(where)s
                       AND m.dunning_prescription_date IS DISTINCT FROM %(day)s
                    """,
                    day=day,
                    where=where,
                )
            )
        self.invalidate_model(["dunning_prescription_date"])
