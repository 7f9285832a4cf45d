# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import http
from odoo.http import request


class DunningReminderLink(http.Controller):
    """The short link of a reminder (sent in SMS): a page listing every open
    invoice of the customer, each with its own portal page to see and pay it."""

    @http.route("/r/<string:code>", type="http", auth="public", sitemap=False)
    def dunning_reminder_invoices(self, code, **kwargs):
        reminder = request.env["dunning.reminder"]._get_dunning_by_short_code(code)
        if not reminder:
            raise request.not_found()
        request.update_context(lang=reminder.partner_id.lang or request.env.lang)
        reminder = reminder.with_context(lang=reminder.partner_id.lang)
        invoices = reminder._get_dunning_open_invoices()
        return request.render(
            "dunning_scenario.dunning_reminder_invoices_page",
            {
                "reminder": reminder,
                "company": reminder.company_id,
                "invoices": invoices,
                "links": {invoice.id: invoice.get_portal_url() for invoice in invoices},
            },
        )
