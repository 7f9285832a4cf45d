# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The reminder letter: its kind, recipient, pay-by date, PDF and the
litigation file values."""

import logging
import subprocess
from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.tools.misc import format_date

from .dunning_run import DB_ERRORS_TO_PROPAGATE

_logger = logging.getLogger(__name__)

# The report action printing the letter of a reminder.
LETTER_REPORT_ACTION = "dunning_scenario.dunning_letter_report"

# The placeholders of the letter texts (see dunning.level): plain field paths,
# which Odoo renders without evaluating any code.
LETTER_PLACEHOLDERS = (
    "object.partner_id.name",
    "object.letter_customer",
    "object.letter_amount_claimed",
    "object.letter_pay_by_date",
    "object.letter_reminder_history",
    "object.letter_signatory",
    "object.letter_invoices",
    "object.letter_penalties",
    "object.letter_payment_means",
)


class DunningReminder(models.Model):
    _inherit = "dunning.reminder"

    # ------------------------------------------------------------------
    # Letter placeholders: what a level's letter text can print, formatted in
    # the language the letter is rendered in.
    # ------------------------------------------------------------------

    letter_customer = fields.Char(
        string="Customer (letter)", compute="_compute_letter_placeholders"
    )
    letter_amount_claimed = fields.Char(
        string="Amount Claimed (letter)", compute="_compute_letter_placeholders"
    )
    letter_pay_by_date = fields.Char(
        string="Pay-by Date (letter)", compute="_compute_letter_placeholders"
    )
    letter_reminder_history = fields.Char(
        string="Previous Reminders (letter)", compute="_compute_letter_placeholders"
    )
    letter_signatory = fields.Char(
        string="Signatory (letter)", compute="_compute_letter_placeholders"
    )
    letter_invoices = fields.Html(
        string="Invoices Table (letter)", compute="_compute_letter_invoices", sanitize=False
    )
    letter_penalties = fields.Html(
        string="Penalties (letter)", compute="_compute_letter_penalties", sanitize=False
    )
    letter_payment_means = fields.Html(
        string="Payment Means (letter)", compute="_compute_letter_payment_means", sanitize=False
    )

    def mail_allowed_qweb_expressions(self):
        return super().mail_allowed_qweb_expressions() + LETTER_PLACEHOLDERS

    @api.depends_context("lang")
    @api.depends(
        "partner_id",
        "user_id",
        "date",
        "level_id",
        "amount_claimed",
        "previous_date",
        "previous_reminder_count",
    )
    def _compute_letter_placeholders(self):
        lang = self.env.lang
        for reminder in self:
            if not reminder.date:
                reminder.update(
                    dict.fromkeys(
                        (
                            "letter_customer",
                            "letter_amount_claimed",
                            "letter_pay_by_date",
                            "letter_reminder_history",
                            "letter_signatory",
                        ),
                        False,
                    )
                )
                continue
            reminder.letter_customer = reminder.partner_id.commercial_partner_id.name
            reminder.letter_amount_claimed = tools.format_amount(
                self.env,
                reminder._get_dunning_letter_amount_claimed(),
                reminder.currency_id,
                lang_code=lang,
            )
            reminder.letter_pay_by_date = format_date(
                self.env, reminder._get_dunning_pay_by_date(), lang_code=lang, date_format="long"
            )
            reminder.letter_reminder_history = reminder._get_dunning_letter_reminder_history()
            reminder.letter_signatory = reminder.user_id.name or reminder.company_id.name

    @api.depends_context("lang")
    def _compute_letter_invoices(self):
        for reminder in self:
            reminder.letter_invoices = reminder._render_dunning_letter_block(
                "dunning_scenario.dunning_letter_invoices"
            )

    @api.depends_context("lang")
    def _compute_letter_penalties(self):
        for reminder in self:
            reminder.letter_penalties = reminder._render_dunning_letter_block(
                "dunning_scenario.dunning_letter_penalties"
            )

    @api.depends_context("lang")
    def _compute_letter_payment_means(self):
        for reminder in self:
            reminder.letter_payment_means = reminder._render_dunning_letter_block(
                "dunning_scenario.dunning_letter_payment_means"
            )

    def _render_dunning_letter_block(self, template):
        """One of the letter's fixed blocks (invoices, penalties, payment means),
        rendered by its QWeb template of report/dunning_letter_templates.xml."""
        self.ensure_one()
        if not self.date:
            return False
        return self.env["ir.qweb"]._render(template, {"doc": self})

    def _get_dunning_letter_amount_claimed(self):
        """The one amount this reminder asks for, in its currency."""
        self.ensure_one()
        return self.amount_claimed

    def _get_dunning_letter_reminder_history(self):
        """The sentence saying what was sent before: "despite our previous
        reminders" only when there were some."""
        self.ensure_one()
        count = self.previous_reminder_count
        if not count:
            return self.env._("The invoices listed below are still unpaid.")
        if not self.previous_date:
            return self.env._(
                "Despite our previous reminders, the invoices listed below are still unpaid."
            )
        previous = format_date(
            self.env, self.previous_date, lang_code=self.env.lang, date_format="long"
        )
        if count == 1:
            return self.env._(
                "Despite our reminder of %(date)s, the invoices listed below are still unpaid.",
                date=previous,
            )
        return self.env._(
            "Despite our previous reminders, the last one of %(date)s, the invoices listed "
            "below are still unpaid.",
            date=previous,
        )

    def _get_dunning_letter_texts(self, level=None):
        """The subject, opening, body and closing of this reminder's letter, in
        the customer's language: the texts of ``level`` (default: the
        reminder's), else the standard ones, rendered on this reminder by
        Odoo's template engine.

        :return: {part: Markup}
        """
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang
        level = (level or self.level_id).with_context(lang=lang)
        texts = {}
        for part, source in level._get_dunning_letter_sources().items():
            # The standard text is read from its level, but rendered as this
            # level's (as the user printing, never as superuser).
            texts[part] = level._render_template(
                source[f"letter_{part}"], "dunning.reminder", self.ids, engine="qweb"
            )[self.id]
        return texts

    def _get_dunning_letter_placed_blocks(self, level=None):
        """The fixed blocks the texts place themselves (their placeholder is in a
        text); the others are printed at their usual place."""
        self.ensure_one()
        level = (level or self.level_id).with_context(lang=self.partner_id.lang or self.env.lang)
        raw = " ".join(
            str(source[f"letter_{part}"] or "")
            for part, source in level._get_dunning_letter_sources().items()
        )
        blocks = ("invoices", "penalties", "payment_means")
        return {block for block in blocks if f"object.letter_{block}" in raw}

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
        """Which letter the level of this reminder calls for, see
        dunning.level._get_dunning_letter_kind."""
        self.ensure_one()
        return self.level_id._get_dunning_letter_kind()

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

    def _dunning_quoted(self, text):
        """``text`` quoted as the reader's language writes a name within a
        sentence: French between « » with no-break spaces, so that no line
        starts with a quotation mark; other languages as it is."""
        if (self.env.lang or "").startswith("fr"):
            return f"\u00ab\u00a0{text}\u00a0\u00bb"
        return text

    def _get_dunning_letter_filename(self):
        self.ensure_one()
        level_name = self.level_id.with_context(lang=self.partner_id.lang).name
        name = f"{self.name} - {self.partner_id.name} - {level_name}"
        return name.replace("/", "-") + ".pdf"

    def _dunning_attach_letter(self, pdf=None):
        """Keep the letter of this reminder as an attachment of the reminder:
        the proof of what was sent.

        :param pdf: the letter, rendered with others (see
            ``_dunning_render_letters``); else rendered here
        :return: the ir.attachment created
        """
        self.ensure_one()
        if pdf is None:
            pdf, __ = (
                self.env["ir.actions.report"]
                .with_context(lang=self.partner_id.lang)
                ._render_qweb_pdf(LETTER_REPORT_ACTION, self.ids)
            )
        return self.env["ir.attachment"].create(
            {
                "name": self._get_dunning_letter_filename(),
                "type": "binary",
                "raw": pdf,
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )

    def _get_dunning_letter_runs(self):
        """How the letters of these reminders are rendered: a list of
        recordsets, each rendered by one wkhtmltopdf run. A build on a patched
        Qt prints several records in one document, split afterwards: one run
        per language (the letters are printed in their customer's language).
        The others (Debian's) cannot: one run per letter."""
        if not self._dunning_pdf_prints_header():
            return [reminder for reminder in self]
        by_lang = defaultdict(lambda: self.browse())
        for reminder in self:
            by_lang[reminder.partner_id.lang] |= reminder
        return list(by_lang.values())

    def _dunning_render_letters(self):
        """Render the letters of these reminders with as few wkhtmltopdf runs as
        the installed build allows (see ``_get_dunning_letter_runs``). A run of
        several letters whose document cannot be split back into letters is
        left to each letter, rendered alone when it is sent.

        :return: {reminder id: PDF content}, for the letters rendered here
        """
        Report = self.env["ir.actions.report"]
        if (tools.config["test_enable"] or tools.config["test_file"]) and not self.env.context.get(
            "force_report_rendering"
        ):
            # Tests print reports as HTML, record by record (_render_qweb_pdf).
            return {}
        letters = {}
        for run in self._get_dunning_letter_runs():
            if len(run) < 2:
                continue
            try:
                with self.env.cr.savepoint():
                    streams = Report.with_context(
                        lang=run[:1].partner_id.lang
                    )._render_qweb_pdf_prepare_streams(LETTER_REPORT_ACTION, None, res_ids=run.ids)
            except DB_ERRORS_TO_PROPAGATE:
                raise
            except Exception:  # noqa: BLE001 - each letter is then rendered alone
                _logger.info("Letters %s failed to print together", run.ids, exc_info=True)
                continue
            if False in streams or not all(
                streams.get(reminder_id, {}).get("stream") for reminder_id in run.ids
            ):
                _logger.info("Letters %s: printed together, not split; one run each", run.ids)
                continue
            for reminder_id in run.ids:
                letters[reminder_id] = streams[reminder_id]["stream"].getvalue()
        return letters

    # ------------------------------------------------------------------
    # Litigation file
    # ------------------------------------------------------------------

    @api.model
    def _get_dunning_litigation_values(self, partner):
        """What the litigation file of ``partner`` shows, for the current company:
        the invoices in litigation (else all its overdue open invoices) with
        their penalties computed to today, the reminders sent for them, a copy
        of each email and SMS sent, and the letters kept as proofs."""
        company = self.env.company
        # The file speaks the company's language (levels, notes, ...).
        self = self.with_context(lang=company.partner_id.lang or self.env.lang)
        partner = partner.with_env(self.env).commercial_partner_id
        Move = self.env["account.move"]
        today = Move._dunning_today()
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
                base_domain + Move._get_dunning_open_domain() + [("invoice_date_due", "<", today)],
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
        penalties = self._get_dunning_litigation_penalties(invoices, latest_lines, today)
        messages = reminders._get_dunning_litigation_messages()
        letters = reminders._get_dunning_litigation_letters(messages)
        return {
            "today": today,
            "partner": partner,
            "company": company,
            "invoices": invoices,
            "reminders": reminders,
            "latest_lines": latest_lines,
            "penalties": penalties,
            "totals": self._get_dunning_litigation_totals(invoices, penalties, company),
            "messages": messages,
            "letters": letters,
            # The letters of each reminder, for the list of reminders.
            "letters_by_reminder": {
                reminder: letters.filtered(lambda att, r=reminder: att.res_id == r.id)
                for reminder in reminders
            },
        }

    @api.model
    def _get_dunning_litigation_penalties(self, invoices, latest_lines, day):
        """The penalties and flat indemnity of each invoice on ``day``, computed
        as a reminder of that day would (see dunning.reminder.line), on records
        kept in memory only.

        :return: {invoice: values of dunning_reminder_line.PENALTY_FIELDS}
        """
        if not invoices:
            return {}
        rate_of = self.env["dunning.interest.rate"]._get_rate_lookup()
        installments = invoices._dunning_get_installments()
        Line = self.env["dunning.reminder.line"]
        penalties = {}
        for move in invoices:
            latest = latest_lines.get(move)
            scenario = latest.reminder_id.scenario_id if latest else move.dunning_scenario_id
            level = latest.level_id if latest else Line.level_id
            # No customer on it: its notes are in this environment's language.
            reminder = self.new(
                {
                    "company_id": move.company_id.id,
                    "scenario_id": scenario.id,
                    "level_id": level.id,
                    "date": day,
                }
            )
            line = Line.new(
                {
                    "reminder_id": reminder,
                    "move_id": move.id,
                    "kind": "level",
                    "level_id": level.id,
                    "name": move.name,
                    "currency_id": move.currency_id.id,
                }
            )
            penalties[move] = line._dunning_compute_penalty(rate_of, installments.get(move.id, []))
        return penalties

    @api.model
    def _get_dunning_litigation_totals(self, invoices, penalties, company):
        """What is claimed, per currency of the invoices (never mixed); the flat
        indemnities are in the company's currency and counted in its total only.

        :return: list of dicts (currency, residual, penalty, indemnity, total)
        """
        by_currency = {}
        for move in invoices:
            vals = penalties.get(move, {})
            totals = by_currency.setdefault(
                move.currency_id,
                {"currency": move.currency_id, "residual": 0.0, "penalty": 0.0, "indemnity": 0.0},
            )
            totals["residual"] += move.amount_residual
            if not vals.get("penalty_error"):
                totals["penalty"] += vals.get("penalty_amount_currency", 0.0)
        indemnity = sum(vals.get("indemnity_amount", 0.0) for vals in penalties.values())
        if indemnity:
            currency = company.currency_id
            totals = by_currency.setdefault(
                currency,
                {"currency": currency, "residual": 0.0, "penalty": 0.0, "indemnity": 0.0},
            )
            totals["indemnity"] = indemnity
        result = []
        for totals in by_currency.values():
            totals["total"] = totals["residual"] + totals["penalty"] + totals["indemnity"]
            result.append(totals)
        return result

    def _get_dunning_litigation_messages(self):
        """The emails and SMS these reminders sent, as sent: no internal note."""
        messages = (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("message_type", "in", ("comment", "email", "email_outgoing", "sms")),
                ],
                order="date, id",
            )
        )
        return messages.filtered(
            lambda message: message.message_type == "sms" or not message.subtype_id.internal
        )

    def _get_dunning_litigation_letters(self, messages):
        """The letters stored when these reminders were sent (PDFs of the
        reminders that are not an email's attachment, e.g. invoices)."""
        attachments = self.env["ir.attachment"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("mimetype", "=", "application/pdf"),
            ],
            order="create_date, id",
        )
        return attachments - messages.attachment_ids

    def _get_dunning_litigation_letter_state(self):
        """What the litigation file may say of this reminder's letter: posted
        (with the registered-mail number and acknowledgement when recorded), or
        not posted.

        :return: dict(posted, posted_date, registered_number, ack_date)
        """
        self.ensure_one()

        def read(fname):
            return self[fname] if fname in self._fields else False

        return {
            "posted": self.letter_status == "done",
            "posted_date": read("letter_posted_date"),
            "registered_number": read("letter_registered_number"),
            "ack_date": read("letter_ack_date"),
        }

    def _get_dunning_litigation_message_recipients(self, message):
        """Who received ``message``: email addresses, or SMS numbers, and
        whether it was delivered (from its notifications)."""
        message = message.sudo()
        recipients = []
        for notification in message.notification_ids:
            if notification.notification_type == "sms":
                address = notification.sms_number or notification.res_partner_id.phone
            elif notification.notification_type == "email":
                address = notification.res_partner_id.email
            else:
                continue
            if notification.res_partner_id.partner_share or notification.notification_type == "sms":
                recipients.append(
                    {
                        "name": notification.res_partner_id.name,
                        "address": address,
                        "failed": notification.notification_status in ("bounce", "exception"),
                    }
                )
        return recipients


class ReportDunningLetter(models.AbstractModel):
    """The letter report: the reminders printed and, for the "Preview letter"
    button of a level, the level whose texts are shown."""

    _name = "report.dunning_scenario.report_dunning_letter"
    _description = "Dunning Letter Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        docs = self.env["dunning.reminder"].browse(docids or data.get("reminder_ids") or [])
        preview_level = self.env["dunning.level"]
        if data.get("preview_level_id"):
            preview_level = preview_level.browse(int(data["preview_level_id"])).exists()
        return {
            "doc_ids": docs.ids,
            "doc_model": "dunning.reminder",
            "docs": docs,
            "preview_level": preview_level,
        }
