# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.tools.pdf import merge_pdf

# Reports printed for many customers at once ("Print letters").
DUNNING_REPORTS = {
    "dunning_scenario.report_dunning_letter",
    "dunning_scenario.report_dunning_litigation",
}


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        """Print the letters of several reminders as one PDF, one letter at a time.

        wkhtmltopdf builds without patched Qt (Debian's, among others) fail on a
        document made of several records; rendering each letter alone and joining
        the files works with every build, and each letter keeps its own pages.
        """
        if isinstance(res_ids, int):
            res_ids = [res_ids]
        report = self._get_report(report_ref)
        if report.report_name not in DUNNING_REPORTS or not res_ids or len(res_ids) < 2:
            return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        documents = [
            super(IrActionsReport, self)._render_qweb_pdf(
                report_ref, res_ids=[res_id], data=dict(data or {})
            )[0]
            for res_id in res_ids
        ]
        return merge_pdf(documents), "pdf"
