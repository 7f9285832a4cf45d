# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.tools.pdf import merge_pdf

LETTER_REPORT = "dunning_scenario.report_dunning_letter"
LITIGATION_REPORT = "dunning_scenario.report_dunning_litigation"


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        """Print the dunning documents one record at a time, then join the files.

        - Letters of several reminders ("Print letters"): wkhtmltopdf builds without
          patched Qt (Debian's, among others) fail on a document made of several
          records; rendering each letter alone works with every build. A patched
          build prints them in one run (see ``_dunning_pdf_prints_header``).
        - Litigation file: each customer's summary (with the copies of the
          emails and SMS sent) is followed by the letters stored when its
          reminders were sent, then by the PDF of every invoice claimed, so
          the file carries its proofs.
        """
        if isinstance(res_ids, int):
            res_ids = [res_ids]
        report = self._get_report(report_ref)
        name = report.report_name
        several_letters = (
            name == LETTER_REPORT
            and res_ids
            and len(res_ids) > 1
            and not self.env["dunning.reminder"]._dunning_pdf_prints_header()
        )
        if not (several_letters or (name == LITIGATION_REPORT and res_ids)):
            return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        documents = []
        for res_id in res_ids:
            pdf = super()._render_qweb_pdf(report_ref, res_ids=[res_id], data=dict(data or {}))[0]
            documents.append(pdf)
            if name == LITIGATION_REPORT:
                partner = self.env["res.partner"].browse(res_id)
                values = self.env["dunning.reminder"]._get_dunning_litigation_values(partner)
                documents.extend(letter.raw for letter in values["letters"])
                documents.extend(self._get_dunning_invoice_pdf(move) for move in values["invoices"])
        return merge_pdf(documents), "pdf"

    def _get_dunning_invoice_pdf(self, move):
        """The PDF of ``move``: the one Odoo kept when the invoice was sent, else
        one printed now in the customer's language."""
        if move.invoice_pdf_report_id:
            return move.invoice_pdf_report_id.raw
        return self.with_context(lang=move.partner_id.lang)._render_qweb_pdf(
            "account.account_invoices", move.ids
        )[0]
