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
          records; rendering each letter alone works with every build.
        - Litigation file: each customer's summary is followed by the letters
          stored when its reminders were sent, so the file carries its proofs.
        """
        if isinstance(res_ids, int):
            res_ids = [res_ids]
        report = self._get_report(report_ref)
        name = report.report_name
        several_letters = name == LETTER_REPORT and res_ids and len(res_ids) > 1
        if not (several_letters or (name == LITIGATION_REPORT and res_ids)):
            return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        documents = []
        for res_id in res_ids:
            pdf = super()._render_qweb_pdf(report_ref, res_ids=[res_id], data=dict(data or {}))[0]
            documents.append(pdf)
            if name == LITIGATION_REPORT:
                partner = self.env["res.partner"].browse(res_id)
                values = self.env["dunning.reminder"]._get_dunning_litigation_values(partner)
                documents.extend(proof.raw for proof in values["proofs"])
        return merge_pdf(documents), "pdf"
