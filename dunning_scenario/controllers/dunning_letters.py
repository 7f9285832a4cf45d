# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import http
from odoo.http import content_disposition, request


class DunningLetters(http.Controller):
    @http.route("/dunning_scenario/letters", type="http", auth="user")
    def dunning_letters(self, ids="", **kwargs):
        """The stored letters of the given reminders in one PDF, to print and post."""
        reminder_ids = [int(rid) for rid in ids.split(",") if rid.strip().isdigit()]
        reminders = request.env["dunning.reminder"].browse(reminder_ids).exists()
        reminders.check_access("read")
        pdf = reminders._dunning_get_letters_pdf()
        filename = request.env._("Letters to post.pdf")
        # Shown in the browser, whose print button prints them all.
        disposition = content_disposition(filename).replace("attachment", "inline", 1)
        return request.make_response(
            pdf,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(pdf)),
                ("Content-Disposition", disposition),
            ],
        )
