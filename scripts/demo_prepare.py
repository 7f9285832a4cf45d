"""Last touches to the demo database, run by scripts/demo.sh through `odoo shell`
(``env`` is given) after each install or update, before the server starts:

- online payment: the test provider of Odoo's payment_demo module (installed in
  the demo database only, never a dependency of the addon) enabled, in test mode,
  for the French company, so that "Pay online" leads to a payment form;
- the daily job "Payment reminders: daily run" waits for its next morning: the
  demo data's changes asked it to run as soon as possible, which would send the
  queued reminders when the server starts, before the user looks at them.
"""

from datetime import datetime, time, timedelta

company = env.ref("dunning_scenario.demo_company_fr")  # noqa: F821 (odoo shell)
Provider = env["payment.provider"].sudo()  # noqa: F821
demo_provider = Provider.search(
    [("code", "=", "demo"), ("company_id", "=", company.id)], limit=1
) or env.ref("payment.payment_provider_demo").sudo().copy(  # noqa: F821
    {"company_id": company.id}
)
demo_provider.write(
    {
        "state": "test",
        "is_published": True,
        "payment_method_ids": [
            (6, 0, env.ref("payment_demo.payment_method_demo").ids)  # noqa: F821
        ],
    }
)
print(
    f"demo: payment provider {demo_provider.name!r} ({demo_provider.state}) for "
    f"{company.name}, journal {demo_provider.journal_id.name!r}"
)

cron = env.ref("dunning_scenario.ir_cron_dunning_process").sudo()  # noqa: F821
env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)]).unlink()  # noqa: F821
now = datetime.now()
if cron.nextcall <= now + timedelta(hours=1):
    cron.nextcall = datetime.combine(now.date() + timedelta(days=1), time(5))
print(f"demo: {cron.name!r} next runs at {cron.nextcall} UTC, or with Run Manually")
env.cr.commit()  # noqa: F821
