# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The reminder letter: its kind, recipient, pay-by date, PDF and the
litigation file values."""

import subprocess

from odoo import api, fields, models, tools


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    # ------------------------------------------------------------------
    # Letters
    # ------------------------------------------------------------------

    # Days given to pay when the company sets no formal-notice deadline.
    _dunning_default_payment_days = 8
    # Ceiling (EUR) of the French simplified procedure for small claims.
    _dunning_small_claims_limit = 5000

    # Whether wkhtmltopdf prints the layout's header and footer (cached per process).
    _dunning_wkhtmltopdf_patched = None

    @api.model
    def _dunning_pdf_prints_header(self):
        """Whether wkhtmltopdf prints the report layout's header and footer (logo,
        company details): only builds on a patched Qt do. On the others (Debian's
        package), the letters print the logo and company details in the page body
        instead, so that a posted letter always says who sends it."""
        cls = type(self)
        if cls._dunning_wkhtmltopdf_patched is None:
            binary = tools.find_in_path("wkhtmltopdf")
            version = ""
            if binary:
                try:
                    version = subprocess.run(
                        [binary, "--version"],
                        capture_output=True,
                        text=True,
                        timeout=30,
                        check=False,
                    ).stdout
                except (OSError, subprocess.SubprocessError):
                    version = ""
            cls._dunning_wkhtmltopdf_patched = "patched qt" in version.lower()
        return cls._dunning_wkhtmltopdf_patched

    def _get_dunning_letter_kind(self):
        """Which letter the level of this reminder calls for, from the gentlest
        to the firmest: ``courtesy`` (before the due date), ``reminder``,
        ``second``, ``further``, ``formal_notice``, ``litigation``."""
        self.ensure_one()
        level = self.level_id
        if level.is_litigation:
            return "litigation"
        if level.is_formal_notice:
            return "formal_notice"
        if level.delay_days < 0:
            return "courtesy"
        earlier = self.scenario_id._get_sorted_levels().filtered(
            lambda lvl: (
                lvl.delay_days >= 0
                and lvl.delay_days < level.delay_days
                and not lvl.is_formal_notice
                and not lvl.is_litigation
            )
        )
        return ("reminder", "second")[len(earlier)] if len(earlier) < 2 else "further"

    def _get_dunning_letter_partner(self):
        """The contact the letter is addressed to: the customer's invoice address."""
        self.ensure_one()
        partner = self.partner_id
        invoice_address = partner.browse(partner.address_get(["invoice"])["invoice"])
        if invoice_address.street or invoice_address.city:
            return invoice_address
        return partner

    def _get_dunning_pay_by_date(self):
        """The date the letter asks the customer to pay by: the due date for a
        courtesy notice, else the reminder's date plus the company's
        formal-notice deadline (8 days when not set)."""
        self.ensure_one()
        if self._get_dunning_letter_kind() == "courtesy":
            due_dates = [d for d in self.level_line_ids.mapped("date_due") if d]
            if due_dates:
                return min(due_dates)
        days = self.company_id.dunning_formal_notice_days or self._dunning_default_payment_days
        return fields.Date.add(self.date, days=days)

    def _is_dunning_small_claim(self, amount):
        """Whether ``amount`` (company currency) can go through the French
        simplified procedure for small claims (up to 5,000 €)."""
        self.ensure_one()
        eur = self.env.ref("base.EUR", raise_if_not_found=False)
        if not eur:
            return False
        amount_eur = self.currency_id._convert(amount, eur, self.company_id, self.date)
        return eur.compare_amounts(amount_eur, self._dunning_small_claims_limit) <= 0

    def _get_dunning_letter_filename(self):
        self.ensure_one()
        level_name = self.level_id.with_context(lang=self.partner_id.lang).name
        name = f"{self.name} - {self.partner_id.name} - {level_name}"
        return name.replace("/", "-") + ".pdf"

    def _dunning_attach_letter(self):
        """Render the letter of this reminder and keep it as an attachment of
        the reminder: the proof of what was sent.

        :return: the ir.attachment created
        """
        self.ensure_one()
        pdf_content, __ = (
            self.env["ir.actions.report"]
            .with_context(lang=self.partner_id.lang)
            ._render_qweb_pdf("dunning_scenario.dunning_letter_report", self.ids)
        )
        return self.env["ir.attachment"].create(
            {
                "name": self._get_dunning_letter_filename(),
                "type": "binary",
                "raw": pdf_content,
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )

    @api.model
    def _get_dunning_litigation_values(self, partner):
        """What the litigation file of ``partner`` shows, for the current company:
        the invoices in litigation (else all its overdue open invoices), the
        reminders sent for them, their latest reminder line (penalties to date)
        and the letters kept as proofs."""
        partner = partner.commercial_partner_id
        Move = self.env["account.move"]
        company = self.env.company
        base_domain = [
            ("commercial_partner_id", "=", partner.id),
            ("company_id", "=", company.id),
        ]
        invoices = Move.search(
            base_domain + [("dunning_state", "=", "litigation")],
            order="invoice_date_due, id",
        )
        if not invoices:
            invoices = Move.search(
                base_domain
                + Move._get_dunning_open_domain()
                + [("invoice_date_due", "<", Move._dunning_today())],
                order="invoice_date_due, id",
            )
        lines = self.env["dunning.reminder.line"].search(
            [
                ("move_id", "in", invoices.ids),
                ("reminder_id.state", "=", "sent"),
            ]
        )
        reminders = lines.reminder_id.sorted(lambda r: (r.date, r.id))
        latest_lines = {}
        for line in lines.sorted(lambda ln: (ln.reminder_id.date, ln.reminder_id.id)):
            latest_lines[line.move_id] = line
        proofs = self.env["ir.attachment"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", reminders.ids),
                ("mimetype", "=", "application/pdf"),
            ],
            order="create_date, id",
        )
        return {
            "today": Move._dunning_today(),
            "partner": partner,
            "company": company,
            "invoices": invoices,
            "reminders": reminders,
            "latest_lines": latest_lines,
            "proofs": proofs,
        }
