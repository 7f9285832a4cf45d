#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Server time of the first page of each reporting view of ``dunning_scenario``.

Run it on a database holding the addon and a large ledger (for instance a copy
of ``bench_dunning_100000`` with the addon installed):

    python3 bench/bench_reporting.py --db report_bench_100k [--runs 5]

For each view it makes the calls the web client makes to show its first page
(``read_group`` for pivot and graph views, ``web_search_read`` + count for
lists) as the administrator, in a transaction that is rolled back, and prints
the median server time of ``--runs`` runs after one warm-up run, with the number
of SQL queries. Nothing is written to the database.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def first_pages(env):
    """(name, callable) of the first page of each view."""
    Receivable = env["dunning.receivable.report"]
    Delay = env["dunning.payment.delay.report"]
    Dso = env["dunning.dso.report"]
    Effect = env["dunning.effectiveness.report"]
    Partner = env["res.partner"]
    aging = [
        "amount_not_due:sum",
        "amount_1_30:sum",
        "amount_31_60:sum",
        "amount_61_90:sum",
        "amount_91_120:sum",
        "amount_120_plus:sum",
        "amount_residual:sum",
    ]
    cockpit_spec = {
        fname: {}
        for fname in (
            "complete_name",
            "currency_id",
            "dunning_overdue_amount",
            "dunning_oldest_due_date",
            "dunning_status",
            "dunning_next_date",
            "dunning_last_reminder_date",
        )
    }
    cockpit_spec["dunning_next_level_id"] = {"fields": {"display_name": {}}}

    def pivot(model, measures, rows, cols=()):
        def call():
            model.read_group([], measures, list(rows), lazy=False)
            model.read_group([], measures, [], lazy=False)
            for col in cols:
                model.read_group([], measures, [col], lazy=False)
                model.read_group([], measures, [*rows, col], lazy=False)

        return call

    def cockpit(domain):
        def call():
            Partner.web_search_read(domain, cockpit_spec, limit=80)
            Partner.search_count(domain)

        return call

    return [
        ("Receivables dashboard: pivot by category", pivot(Receivable, aging, ["category_id"])),
        (
            "Receivables dashboard: graph (aging x level)",
            lambda: Receivable.read_group(
                [], ["amount_residual:sum"], ["aging", "level_id"], lazy=False
            ),
        ),
        (
            "Receivables dashboard: list, 80 rows",
            lambda: (
                Receivable.web_search_read(
                    [],
                    {
                        fname: {}
                        for fname in ["move_id", "partner_id", "date_due", "days_overdue"]
                        + [spec.split(":")[0] for spec in aging]
                    },
                    limit=80,
                ),
                Receivable.search_count([]),
            ),
        ),
        (
            "Payment delays: pivot by month",
            pivot(
                Delay,
                ["invoice_count:sum", "days_late:avg", "days_late_weighted:avg"],
                ["date:month"],
            ),
        ),
        (
            "Payment delays: trend graph by month",
            lambda: Delay.read_group([], ["days_late_weighted:avg"], ["date:month"], lazy=False),
        ),
        (
            "DSO: graph by month",
            lambda: Dso.read_group([], ["dso:avg"], ["date:month"], lazy=False),
        ),
        (
            "Effectiveness: pivot level x channel",
            pivot(
                Effect,
                ["reminder_count:sum", "share_paid_15:avg", "amount_share_30:avg"],
                ["level_id"],
                ["channel"],
            ),
        ),
        (
            "Customer cockpit: something due, 80 rows",
            cockpit([("dunning_status", "!=", "nothing_due")]),
        ),
        (
            "Customer cockpit: overdue filter, 80 rows",
            cockpit([("dunning_overdue_amount", ">", 0)]),
        ),
        ("Customer list with cockpit columns, 80 rows", cockpit([("customer_rank", ">", 0)])),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo.conf"))
    args = parser.parse_args()

    import odoo
    from odoo.tools import config

    config.parse_config(["-c", args.config, "-d", args.db])
    odoo.service.server.load_server_wide_modules()
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        admin = env.ref("base.user_admin")
        env = env(user=admin, context={"lang": "en_US"})
        cr.execute("SELECT COUNT(*) FROM account_move WHERE move_type = 'out_invoice'")
        print(f"{args.db}: {cr.fetchone()[0]} customer invoices")
        print(f"{'view':<48} {'median ms':>10} {'max ms':>8} {'queries':>8}")
        for name, call in first_pages(env):
            timings, queries = [], 0
            for run in range(args.runs + 1):
                env.invalidate_all()
                before = cr.sql_log_count
                started = time.perf_counter()
                call()
                elapsed = (time.perf_counter() - started) * 1000
                if run:  # the first run warms the caches
                    timings.append(elapsed)
                    queries = cr.sql_log_count - before
            print(
                f"{name:<48} {statistics.median(timings):>10.0f} "
                f"{max(timings):>8.0f} {queries:>8}"
            )
        cr.rollback()
    return 0


if __name__ == "__main__":
    sys.exit(main())
