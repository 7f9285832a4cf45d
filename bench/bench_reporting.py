#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Server time of the first page of each reporting dashboard of ``dunning_scenario``.

``make bench`` calls time_dashboards() after the daily run, on the run's copy
of the benchmark ledger, and prints its figures in the table's section "First
page of the lists". Alone, on any database holding the addon:

    python3 bench/bench_reporting.py --db <database> [--runs 5] [--no-history]

For each view of DASHBOARDS it makes the calls the web client (Odoo 18) makes
to show its first page, with the filters and group-bys the action opens with,
read from its views (web_search_read of a list's columns, 80 rows and the
count; web_read_group of a grouped list or a graph; one read_group per level of
a pivot), as the administrator, and gives the median server time of 5 calls
after a warm-up call, with the number of SQL queries. The ledger of the
benchmark has no history (every invoice open, the reminders just prepared): the
payment-delay and effectiveness dashboards are timed after simulate_history(),
in a savepoint rolled back. Nothing is written to the database.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The first page of each dashboard, as an accountant opens it: (label, action
# xml id, view type, search filters: None for the ones the action opens with,
# else the names of the search view's filters clicked instead).
RECEIVABLES = "dunning_scenario.dunning_receivable_report_action"
DELAYS = "dunning_scenario.dunning_payment_delay_report_action"
DSO = "dunning_scenario.dunning_dso_report_action"
EFFECTIVENESS = "dunning_scenario.dunning_effectiveness_report_action"
COCKPIT = "dunning_scenario.res_partner_action_dunning_cockpit"
DASHBOARDS = [
    ("Receivables dashboard: pivot", RECEIVABLES, "pivot", None),
    ("Receivables dashboard: graph", RECEIVABLES, "graph", None),
    ("Receivables dashboard: list", RECEIVABLES, "list", None),
    ("Payment delays: pivot", DELAYS, "pivot", None),
    ("Payment delays: graph", DELAYS, "graph", None),
    ("Payment delays: list", DELAYS, "list", None),
    ("DSO: graph", DSO, "graph", None),
    ("DSO: list", DSO, "list", None),
    ("Effectiveness: pivot", EFFECTIVENESS, "pivot", None),
    ("Effectiveness: graph", EFFECTIVENESS, "graph", None),
    ("Customer cockpit: something due", COCKPIT, "list", None),
    ("Customer cockpit: overdue", COCKPIT, "list", ("dunning_overdue",)),
    ("Customer cockpit: to act on", COCKPIT, "list", ("dunning_to_act",)),
    ("Customer cockpit: every customer", COCKPIT, "list", ()),
]


def _search_defaults(env, action, filters):
    """Domain and group-bys of the search filters an action opens with (or of
    ``filters``), evaluated as the web client does."""
    from dateutil.relativedelta import relativedelta
    from lxml import etree

    from odoo.tools.safe_eval import datetime as safe_datetime
    from odoo.tools.safe_eval import safe_eval

    today = env["account.move"]._dunning_today()
    context = safe_eval(action.context or "{}", {"uid": env.uid})
    if filters is None:
        filters = [
            key[len("search_default_") :]
            for key, value in context.items()
            if key.startswith("search_default_") and value
        ]
    Model = env[action.res_model]
    search_view = Model.get_views([(action.search_view_id.id, "search")])["views"]["search"]
    arch = etree.fromstring(search_view["arch"])
    eval_context = {
        "uid": env.uid,
        "context_today": lambda: today,
        "relativedelta": relativedelta,
        "datetime": safe_datetime,
    }
    domains, groupby = [], []
    for name in filters:
        node = arch.find(f".//filter[@name='{name}']")
        if node.get("domain"):
            domains.append(safe_eval(node.get("domain"), eval_context))
        group = safe_eval(node.get("context") or "{}", eval_context).get("group_by")
        if group:
            groupby.append(group)
    domain = safe_eval(action.domain or "[]", eval_context)
    if domains:
        # Filters of one group combine with OR; these are each in its group or alone.
        for extra in domains:
            domain = [*domain, *extra] if domain else list(extra)
    return Model.with_context(**{k: v for k, v in context.items() if "default_" not in k}), (
        domain,
        groupby,
    )


def _view_arch(Model, action, view_type):
    from lxml import etree

    view_id = next(
        (view.view_id.id for view in action.view_ids if view.view_mode == view_type),
        action.view_id.id if action.view_id.type == view_type else False,
    )
    view = Model.get_views([(view_id, view_type)])["views"][view_type]
    return etree.fromstring(view["arch"])


def _measures(Model, arch):
    measures = ["__count"]
    for node in arch.iter("field"):
        if node.get("type") == "measure":
            field = Model._fields[node.get("name")]
            measures.append(f"{field.name}:{field.aggregator or 'sum'}")
    return measures


def _groupby_spec(Model, node):
    fname = node.get("name")
    if Model._fields[fname].type in ("date", "datetime"):
        return f"{fname}:{node.get('interval') or 'month'}"
    return fname


def first_page_call(env, action_xmlid, view_type, filters=None):
    """The server calls of the first page of a view, as the web client makes
    them (Odoo 18): a list is one web_search_read of its columns (80 rows, the
    count included) or, grouped, one web_read_group; a pivot one read_group
    per level of its rows x columns; a graph one web_read_group.

    :return: (callable making the calls, number of records of the view)
    """
    action = env.ref(action_xmlid)
    Model, (domain, search_groupby) = _search_defaults(env, action, filters)
    arch = _view_arch(Model, action, view_type)
    if view_type == "list":
        spec = {}
        for node in arch.iter("field"):
            field = Model._fields.get(node.get("name"))
            if field and node.getparent().tag == "list":
                many2one = field.type == "many2one"
                spec[field.name] = {"fields": {"display_name": {}}} if many2one else {}
        if search_groupby:

            def call():
                Model.web_read_group(domain, fields=[], groupby=search_groupby, limit=80)

        else:

            def call():
                Model.web_search_read(domain, spec, limit=80)

    elif view_type == "pivot":
        measures = _measures(Model, arch)
        rows = search_groupby or [
            _groupby_spec(Model, node) for node in arch.iter("field") if node.get("type") == "row"
        ]
        cols = [
            _groupby_spec(Model, node) for node in arch.iter("field") if node.get("type") == "col"
        ]

        def call():
            # Every (rows prefix, columns prefix), as the pivot model asks for
            # the table expanded one level each way (the header row included).
            for i in range(min(len(rows), 1) + 1):
                for j in range(min(len(cols), 1) + 1):
                    Model.read_group(domain, measures, rows[:i] + cols[:j], lazy=False)

    else:
        measures = _measures(Model, arch)[:2]  # the graph shows its first measure
        groupby = search_groupby or [
            _groupby_spec(Model, node)
            for node in arch.iter("field")
            if node.get("type") not in ("measure",)
        ]

        def call():
            Model.with_context(fill_temporal=True).web_read_group(
                domain, measures, groupby, lazy=False
            )

    return call, Model.search_count(domain)


# Dashboards read on the ledger as the daily run leaves it; those of the
# history (payment delays, effectiveness) after simulate_history().
HISTORY_ACTIONS = {DELAYS, EFFECTIVENESS}


def simulate_history(cr):
    """A history for the payment-delay and effectiveness dashboards, which the
    benchmark's ledger (every invoice open, reminders just prepared) lacks: a
    third of the invoices already due marked paid, 0 to 39 days after their due
    date (half of them on time), and every prepared reminder marked sent by
    email on a day of the last two months. Plain SQL, for the measurement only:
    the caller rolls it back.

    :return: (invoices marked paid, reminders marked sent)
    """
    cr.execute(
        """
        UPDATE account_move
           SET payment_state = 'paid', amount_residual = 0, amount_residual_signed = 0,
               dunning_paid_date = invoice_date_due + GREATEST(id % 80 - 40, 0),
               dunning_days_late_paid = GREATEST(id % 80 - 40, 0)
         WHERE move_type = 'out_invoice' AND state = 'posted'
           AND invoice_date_due < CURRENT_DATE AND id % 3 = 0
        """
    )
    paid = cr.rowcount
    cr.execute(
        """
        UPDATE dunning_reminder
           SET state = 'sent', email_status = 'done', date = CURRENT_DATE - id % 60,
               dunning_channels_done = dunning_channels_done | 1
         WHERE state = 'draft'
        """
    )
    sent = cr.rowcount
    # What the ORM keeps on the reminder lines for the effectiveness report
    # (dunning_channels_done above: the email channel's bit).
    cr.execute(
        """
        UPDATE dunning_reminder_line line
           SET move_paid_date = m.dunning_paid_date
          FROM account_move m
         WHERE m.id = line.move_id AND m.payment_state IN ('paid', 'in_payment')
        """
    )
    # As autovacuum would after such changes: plans made on the statistics of
    # an unpaid, unsent ledger would be those of another database.
    cr.execute("ANALYZE account_move, dunning_reminder, dunning_reminder_line")
    return paid, sent


def time_dashboards(env, repeat=5, history=True):
    """Median server time (ms) and queries of the first page of each dashboard
    of ``DASHBOARDS``, caches warm, as the administrator (record rules
    applied), in the shape of bench_dunning.time_lists: {label: {"ms",
    "queries", "records"}}. With ``history``, the history dashboards are
    measured after simulate_history(), in a savepoint rolled back: the database
    is left as it was."""
    import odoo

    user = env.ref("base.user_admin")
    env = env(user=user.id, context={"lang": "en_US", "tz": "UTC"})
    results = {}

    def measure(label, action_xmlid, view_type, filters):
        call, records = first_page_call(env, action_xmlid, view_type, filters)
        call()  # warm-up: the registry's and PostgreSQL's caches
        timings, queries = [], []
        for __ in range(repeat):
            env.invalidate_all()
            before = odoo.sql_db.sql_counter
            start = time.perf_counter()
            call()
            timings.append(time.perf_counter() - start)
            queries.append(odoo.sql_db.sql_counter - before)
        results[label] = {
            "ms": statistics.median(timings) * 1000,
            "queries": int(statistics.median(queries)),
            "records": records,
        }

    for dashboard in DASHBOARDS:
        if not (history and dashboard[1] in HISTORY_ACTIONS):
            measure(*dashboard)
    if history:
        env.flush_all()
        env.cr.execute("SAVEPOINT bench_dashboards")
        try:
            simulate_history(env.cr)
            env.invalidate_all()
            for dashboard in DASHBOARDS:
                if dashboard[1] in HISTORY_ACTIONS:
                    measure(*dashboard)
        finally:
            env.cr.execute("ROLLBACK TO SAVEPOINT bench_dashboards")
            env.invalidate_all()
    # In the order of DASHBOARDS.
    return {label: results[label] for label, *__ in DASHBOARDS if label in results}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="measure the payment delays and effectiveness on the ledger as it is",
    )
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo.conf"))
    args = parser.parse_args()

    import odoo
    from odoo.tools import config

    config.parse_config(["-c", args.config, "-d", args.db])
    odoo.service.server.load_server_wide_modules()
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        cr.execute("SELECT COUNT(*) FROM account_move WHERE move_type = 'out_invoice'")
        print(f"{args.db}: {cr.fetchone()[0]} customer invoices")
        results = time_dashboards(env, repeat=args.runs, history=not args.no_history)
        print(f"{'view':<48} {'median ms':>10} {'queries':>8} {'records':>8}")
        for label, found in results.items():
            print(f"{label:<48} {found['ms']:>10.0f} {found['queries']:>8} {found['records']:>8}")
        cr.rollback()
    return 0


if __name__ == "__main__":
    sys.exit(main())
