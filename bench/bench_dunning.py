#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark of the daily dunning run (``dunning_scenario``).

For each size N it prepares a scratch database holding N posted customer
invoices over N/5 customers, runs the daily cron exactly as Odoo's cron worker
does (``ir.cron._acquire_one_job`` + ``_process_job``: batches of calls to
``_cron_process_dunning`` with an ``ir_cron_progress_id`` in the context and a
commit after each call, until the job is no longer ready), then runs it again
the same day, and prints: cron seconds, SQL queries per 1,000 invoices, peak
memory, what was created, the scaling ratios between sizes and the ratios to
the peer figures (OCA credit control, 100k invoices).

Databases (all named after ``--db``, default ``bench_dunning``):
  <db>_base     copy of ``tmpl_base`` with the addon installed (built once, or
                again with ``--rebuild-base``);
  <db>_<N>      <db>_base + the customers and invoices (kept and reused with
                ``--reuse-data``, so that the cron can be measured again);
  <db>_<N>_run  a fresh copy of <db>_<N> for each measured run of the cron.

Every measurement runs in its own Python process, so that the memory figure is
the cron's alone. See bench/README.md.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON = "dunning_scenario"
TEMPLATE_DB = "tmpl_base"
DEFAULT_ADDONS_PATH = f"/opt/odoo18/addons,{ROOT}"

# OCA credit control (account_credit_control), 100k invoices; see shared STYLE.md.
PEER = {"invoices": 100_000, "seconds": 203.0, "queries": 199_000, "memory_mb": 1100.0}

# Customer profiles: (xml id of the category or None, share of the customers).
PROFILES = [
    ("partner_category_company", 0.35),
    ("partner_category_individual", 0.25),
    ("partner_category_key_account", 0.10),
    ("partner_category_public", 0.10),
    ("partner_category_partner", 0.05),
    ("partner_category_subcontractor", 0.05),
    (None, 0.10),  # no category: the company's default scenario
]
DUE_FROM_DAYS = -90  # due date 90 days ago ...
DUE_TO_DAYS = 30  # ... to 30 days ahead, uniformly
PAYMENT_TERM_DAYS = 30

CREATE_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}


# ----------------------------------------------------------------------
# Orchestration (no Odoo registry in this process)
# ----------------------------------------------------------------------


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def filestore(db):
    return Path.home() / ".local/share/Odoo/filestore" / db


def db_exists(db):
    out = subprocess.run(
        ["psql", "-d", "postgres", "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip() == "1"


def copy_db(source, target):
    run(["dropdb", "--if-exists", target])
    run(["createdb", "-T", source, target])
    shutil.rmtree(filestore(target), ignore_errors=True)
    if filestore(source).exists():
        shutil.copytree(filestore(source), filestore(target))


def drop_db(db):
    run(["dropdb", "--if-exists", db])
    shutil.rmtree(filestore(db), ignore_errors=True)


def snapshot_addon(args):
    """Copy the addon to measure into the output folder, so that edits made
    meanwhile in the repository do not change the code under measurement.

    :return: (addons path, hash of the addon's files, description)
    """
    import hashlib

    target = Path(args.out_dir) / "addons" / args.source.replace("/", "_")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    if args.source == "worktree" or Path(args.source).is_dir():
        folder = ROOT if args.source == "worktree" else Path(args.source)
        shutil.copytree(
            folder / ADDON, target / ADDON, ignore=shutil.ignore_patterns("__pycache__")
        )
        described = "working tree" if args.source == "worktree" else f"folder {folder}"
    else:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.source, ADDON],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        described = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", args.source],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    digest = hashlib.sha256()
    for path in sorted((target / ADDON).rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(target)).encode())
            digest.update(path.read_bytes())
    return f"/opt/odoo18/addons,{target}", digest.hexdigest()[:12], described


def build_base(args):
    base = f"{args.db}_base"
    marker = Path(args.out_dir) / f"{base}.json"
    if (
        db_exists(base)
        and not args.rebuild_base
        and marker.exists()
        and json.loads(marker.read_text()).get("hash") == args.addon_hash
    ):
        log(f"reusing {base} (addon {args.addon_hash})")
        return base
    log(f"building {base}: copy of {TEMPLATE_DB} + install {ADDON} ({args.addon_hash})")
    copy_db(TEMPLATE_DB, base)
    run(
        [
            "odoo",
            "-d",
            base,
            f"--addons-path={args.addons_path}",
            "-i",
            ADDON,
            "--stop-after-init",
            "--without-demo=all",
            "--log-level=warn",
        ],
        cwd="/tmp",
    )
    marker.write_text(json.dumps({"hash": args.addon_hash}))
    return base


def child(args, phase, db, n, extra=()):
    """Run one phase in a fresh Python process; return its JSON result."""
    out = Path(args.out_dir) / f"{phase}_{db}.json"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--phase",
        phase,
        "--target",
        db,
        "--n",
        str(n),
        "--addons-path",
        args.addons_path,
        "--json-out",
        str(out),
        "--seed",
        str(args.seed),
        "--chunk",
        str(args.chunk),
        "--method",
        args.method,
        "--templates",
        str(args.templates),
        "--out-dir",
        args.out_dir,
        *extra,
    ]
    run(cmd)
    return json.loads(out.read_text())


def orchestrate(args):
    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.addons_path, args.addon_hash, described = snapshot_addon(args)
    log(f"measuring {ADDON} from {described} (files hash {args.addon_hash})")
    base = build_base(args)
    results = []
    for n in sizes:
        data_db = f"{args.db}_{n}" + ("_orm" if args.method == "orm" else "")
        populate = None
        saved = Path(args.out_dir) / f"populate_{data_db}.json"
        if (
            args.reuse_data
            and db_exists(data_db)
            and saved.exists()
            and json.loads(saved.read_text()).get("addon_hash") == args.addon_hash
        ):
            log(f"N={n}: reusing {data_db}")
            populate = json.loads(saved.read_text())
        else:
            log(f"N={n}: creating {data_db}")
            copy_db(base, data_db)
            populate = child(args, "populate", data_db, n)
            populate["addon_hash"] = args.addon_hash
            saved.write_text(json.dumps(populate, indent=1))
            log(
                f"N={n}: {populate['invoices']} invoices over {populate['customers']} customers "
                f"in {populate['seconds']:.1f} s"
            )
            run(["psql", "-q", "-d", data_db, "-c", "VACUUM ANALYZE"])
        run_db = f"{data_db}_run"
        copy_db(data_db, run_db)
        extra = ["--batch-size", str(args.batch_size)] if args.batch_size else []
        if args.auto_send:
            extra.append("--auto-send")
        log(f"N={n}: running the cron on {run_db}")
        cron = child(args, "cron", run_db, n, extra)
        if args.profile:
            copy_db(data_db, run_db)
            log(f"N={n}: profiling the cron on a fresh {run_db}")
            cron["profile"] = child(args, "cron", run_db, n, [*extra, "--profile"])["profile"]
        if not args.keep_run:
            drop_db(run_db)
        results.append(
            {
                "n": n,
                "source": described,
                "addon_hash": args.addon_hash,
                "populate": populate,
                "cron": cron,
            }
        )
        (Path(args.out_dir) / "results.json").write_text(json.dumps(results, indent=1))
        print_table(results, args)
    return results


def fmt(value, spec=",.0f"):
    if value is None:
        return "-"
    return format(value, spec)


def print_table(results, args):
    rows = []

    def row(label, values):
        rows.append((label, values))

    def per_k(value, n):
        return value * 1000.0 / n

    ns = [r["n"] for r in results]
    pops = [r["populate"] for r in results]
    crons = [r["cron"] for r in results]
    first = [c["first"] for c in crons]
    second = [c["second"] for c in crons]
    row("invoices (posted, open)", [fmt(p["invoices"]) for p in pops])
    row("customers", [fmt(p["customers"]) for p in pops])
    row("credit notes (open)", [fmt(p["credit_notes"]) for p in pops])
    row(f"invoice creation s ({pops[0]['method']})", [fmt(p["seconds"], ",.1f") for p in pops])
    row("cron: seconds", [fmt(f["seconds"], ",.1f") for f in first])
    row("cron: Odoo process CPU s", [fmt(f["odoo_cpu"], ",.1f") for f in first])
    row("cron: PostgreSQL CPU s", [fmt(f["pg_cpu"], ",.1f") for f in first])
    row(
        "load average (1 min) before/after",
        [f"{f['load'][0]:.1f}/{f['load'][1]:.1f}" for f in first],
    )
    row(
        "cron: ms per invoice",
        [fmt(per_k(f["seconds"], n), ".2f") for f, n in zip(first, ns, strict=True)],
    )
    row("cron: calls (batches)", [fmt(f["calls"]) for f in first])
    row("cron: worker rounds", [fmt(f["rounds"]) for f in first])
    row("cron: SQL queries", [fmt(f["queries"]) for f in first])
    row(
        "cron: queries / 1,000 invoices",
        [fmt(per_k(f["queries"], n)) for f, n in zip(first, ns, strict=True)],
    )
    row("cron: peak RSS MB", [fmt(f["peak_rss_mb"]) for f in first])
    row("cron: RSS increase MB", [fmt(f["rss_increase_mb"]) for f in first])
    row("reminders created (draft)", [fmt(f["reminders"]) for f in first])
    row("lines: reminded (level)", [fmt(f["lines"].get("level", 0)) for f in first])
    row("lines: also outstanding", [fmt(f["lines"].get("overdue", 0)) for f in first])
    row("lines: credits", [fmt(f["lines"].get("credit", 0)) for f in first])
    row("chatter notes created", [fmt(f["messages"]) for f in first])
    row("reminders sent (auto-send)", [fmt(f["sent"]) for f in first])
    row("2nd run: seconds", [fmt(s["seconds"], ",.2f") for s in second])
    row("2nd run: SQL queries", [fmt(s["queries"]) for s in second])
    row(
        "2nd run: reminders/lines created", [f"{s['reminders']}/{s['lines_total']}" for s in second]
    )
    ratios_t, ratios_q = ["-"], ["-"]
    for i in range(1, len(ns)):
        tp = first[i]["seconds"] / ns[i]
        tp0 = first[i - 1]["seconds"] / ns[i - 1]
        qp = first[i]["queries"] / ns[i]
        qp0 = first[i - 1]["queries"] / ns[i - 1]
        ratios_t.append(f"{tp / tp0:.2f}")
        ratios_q.append(f"{qp / qp0:.2f}")
    row("time/invoice vs previous size", ratios_t)
    row("queries/invoice vs previous size", ratios_q)

    width = max(len(label) for label, __ in rows) + 2
    colw = 12
    header = "".ljust(width) + "".join(f"N={n:,}".rjust(colw) for n in ns)
    lines = [header, "-" * len(header)]
    for label, values in rows:
        lines.append(label.ljust(width) + "".join(str(v).rjust(colw) for v in values))
    for i, n in enumerate(ns):
        if n == PEER["invoices"]:
            f = first[i]
            lines.append("")
            lines.append(f"Against the peer (OCA credit control, {PEER['invoices']:,} invoices):")
            lines.append(
                f"  time    {f['seconds']:8.1f} s   vs {PEER['seconds']:8.0f} s   "
                f"-> {f['seconds'] / PEER['seconds']:.2f} x"
            )
            lines.append(
                f"  queries {f['queries']:8,d}     vs {PEER['queries']:8,d}     "
                f"-> {f['queries'] / PEER['queries']:.2f} x"
            )
            lines.append(
                f"  memory  {f['peak_rss_mb']:8.0f} MB  vs {PEER['memory_mb']:8.0f} MB  "
                f"-> {f['peak_rss_mb'] / PEER['memory_mb']:.2f} x (peak RSS; "
                f"increase {f['rss_increase_mb']:.0f} MB)"
            )
    text = "\n".join(lines)
    print("\n" + text + "\n", flush=True)
    (Path(args.out_dir) / "table.txt").write_text(text + "\n")
    for r in results:
        profile = r["cron"].get("profile")
        if profile:
            print(f"Profile N={r['n']:,} (separate run, slower because profiled):")
            print(profile["text"])


# ----------------------------------------------------------------------
# Phases (inside a fresh process with an Odoo registry)
# ----------------------------------------------------------------------


def odoo_env_setup(args):
    os.environ["TZ"] = "UTC"  # what odoo-bin does
    time.tzset()
    import odoo

    odoo.tools.config.parse_config(
        [f"--addons-path={args.addons_path}", "-d", args.target, "--log-level=warn"]
    )
    return odoo


def phase_populate(args):
    odoo = odoo_env_setup(args)
    import random
    from datetime import timedelta

    from odoo import SUPERUSER_ID, api, fields

    registry = odoo.modules.registry.Registry(args.target)
    rng = random.Random(args.seed)
    result = {"method": args.method}
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, CREATE_CONTEXT)
        today = fields.Date.context_today(env["res.partner"])
        result["today"] = str(today)
        n_customers = max(1, args.n // 5)
        partner_ids = create_customers(env, rng, n_customers)
        cr.commit()
        result["customers_seconds"] = time.perf_counter() - start

        invoices, refunds = [], []
        for __ in range(args.n):
            due = today + timedelta(days=rng.randint(DUE_FROM_DAYS, DUE_TO_DAYS))
            invoice_date = due - timedelta(days=PAYMENT_TERM_DAYS)
            invoices.append(("out_invoice", rng.choice(partner_ids), invoice_date, rng_amount(rng)))
        # A few open credit notes (1 %), so that the reminders also list credits.
        for __ in range(args.n // 100):
            refund_date = today - timedelta(days=rng.randint(0, 60))
            amount = round(rng.uniform(20, 500), 2)
            refunds.append(("out_refund", rng.choice(partner_ids), refund_date, amount))
        invoices.sort(key=lambda p: p[2])  # post in date order, as a real journal would
        if args.method == "orm":
            orm_moves(env, invoices, args.chunk, start)
        else:
            # The first invoices (by date) are made by the ORM and serve as
            # templates; the others are SQL copies of them (see sql_copy_invoices).
            templates = orm_moves(env, invoices[: args.templates], args.chunk, start)
            sql_copy_invoices(env, templates, invoices[args.templates :])
            log(f"  {len(invoices):,} invoices posted ({time.perf_counter() - start:.0f} s)")
        orm_moves(env, refunds, args.chunk, start)
        cr.commit()
        result["seconds"] = time.perf_counter() - start
        result["checks"] = check_invoices(env)
        cr.execute(
            """
            SELECT move_type, COUNT(*), SUM(amount_residual)
              FROM account_move
             WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')
             GROUP BY move_type
            """
        )
        counts = {row[0]: row[1:] for row in cr.fetchall()}
        cr.commit()
    result.update(
        customers=n_customers,
        invoices=counts.get("out_invoice", (0,))[0],
        credit_notes=counts.get("out_refund", (0,))[0],
        invoices_residual=float(counts.get("out_invoice", (0, 0))[1] or 0),
    )
    Path(args.json_out).write_text(json.dumps(result, indent=1))


def rng_amount(rng):
    return round(rng.uniform(50, 5000), 2)


def create_customers(env, rng, count):
    from odoo.fields import Command

    categories = [env.ref(f"{ADDON}.{xmlid}").id if xmlid else False for xmlid, __ in PROFILES]
    individual = env.ref(f"{ADDON}.partner_category_individual").id
    weights = [share for __, share in PROFILES]
    vals_list = []
    for i in range(count):
        category = rng.choices(categories, weights)[0]
        vals_list.append(
            {
                "name": f"Bench Customer {i:06d}",
                "is_company": category != individual,
                "email": f"customer{i}@bench.example.com",
                "category_id": [Command.set([category])] if category else [],
            }
        )
    ids = []
    for offset in range(0, count, 2000):
        ids += env["res.partner"].create(vals_list[offset : offset + 2000]).ids
        env.invalidate_all()
    return ids


def orm_moves(env, plan, chunk_size, start):
    """Create and post the moves of ``plan`` with the ORM, by chunks; return their ids."""
    from odoo.fields import Command

    term = env.ref("account.account_payment_term_30days")
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", env.company.id)], limit=1
    )
    ids = []
    for offset in range(0, len(plan), chunk_size):
        chunk = plan[offset : offset + chunk_size]
        vals_list = [
            {
                "move_type": move_type,
                "partner_id": partner_id,
                "journal_id": journal.id,
                "invoice_date": invoice_date,
                "invoice_payment_term_id": term.id if move_type == "out_invoice" else False,
                "invoice_line_ids": [
                    Command.create({"name": "Bench service", "quantity": 1, "price_unit": price})
                ],
            }
            for move_type, partner_id, invoice_date, price in chunk
        ]
        moves = env["account.move"].create(vals_list)
        moves.action_post()
        ids += moves.ids
        env.cr.commit()
        env.invalidate_all()
        done = offset + len(chunk)
        if done % (chunk_size * 20) == 0 or done == len(plan):
            elapsed = time.perf_counter() - start
            log(f"  {done:,}/{len(plan):,} moves posted by the ORM ({elapsed:.0f} s)")
    return ids


def sql_copy_invoices(env, template_ids, plan):
    """Insert the invoices of ``plan`` as copies of posted ORM-made invoices.

    Each copy takes every column of its template (amounts, accounts, taxes,
    residuals, states) and gets its own id, customer, dates (shifted by the
    same number of days, so the due date keeps the payment term), name and
    sequence number (consecutive after the last posted number of the prefix,
    in date order). Tax and tag links of the lines are copied too. The result
    is what posting through the ORM gives, as check_invoices() verifies.
    """
    if not plan:
        return
    cr = env.cr
    env.flush_all()
    cr.execute(
        "SELECT j.code FROM account_journal j JOIN account_move m ON m.journal_id = j.id "
        "WHERE m.id = %s",
        [template_ids[0]],
    )
    code = cr.fetchone()[0]
    cr.execute(
        """
        CREATE TEMP TABLE bench_plan (
            seq int, template_id int, partner_id int, invoice_date date,
            new_id int, name varchar, prefix varchar, number int
        ) ON COMMIT DROP
        """
    )
    rows, next_number = [], {}
    for seq, (__, partner_id, invoice_date, __) in enumerate(plan):
        prefix = f"{code}/{invoice_date.year}/"
        if prefix not in next_number:
            cr.execute(
                "SELECT COALESCE(MAX(sequence_number), 0) FROM account_move "
                "WHERE sequence_prefix = %s AND state = 'posted'",
                [prefix],
            )
            next_number[prefix] = cr.fetchone()[0] + 1
        number = next_number[prefix]
        next_number[prefix] += 1
        rows.append(
            (
                seq,
                template_ids[seq % len(template_ids)],
                partner_id,
                invoice_date,
                f"{prefix}{number:05d}",
                prefix,
                number,
            )
        )
    from psycopg2.extras import execute_values

    execute_values(
        cr._obj,
        "INSERT INTO bench_plan (seq, template_id, partner_id, invoice_date, name, prefix, number) "
        "VALUES %s",
        rows,
        page_size=5000,
    )
    cr.execute("UPDATE bench_plan SET new_id = nextval('account_move_id_seq')")

    def columns(table):
        cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [row[0] for row in cr.fetchall()]

    shift = "(p.invoice_date - t.invoice_date)"
    move_exprs = {
        "id": "p.new_id",
        "partner_id": "p.partner_id",
        "commercial_partner_id": "rp.commercial_partner_id",
        "partner_shipping_id": "p.partner_id",
        "name": "p.name",
        "sequence_prefix": "p.prefix",
        "sequence_number": "p.number",
        "payment_reference": "CASE WHEN t.payment_reference = t.name THEN p.name "
        "ELSE t.payment_reference END",
        "invoice_partner_display_name": "rp.complete_name",
        "date": f"t.date + {shift}",
        "invoice_date": "p.invoice_date",
        "invoice_date_due": f"t.invoice_date_due + {shift}",
        "delivery_date": f"t.delivery_date + {shift}",
        "access_token": "NULL",
        "inalterable_hash": "NULL",
        "secure_sequence_number": "NULL",
        "message_main_attachment_id": "NULL",
        "sending_data": "NULL",
        "create_date": "now() AT TIME ZONE 'UTC'",
        "write_date": "now() AT TIME ZONE 'UTC'",
    }
    cols = columns("account_move")
    cr.execute(
        f"""
        INSERT INTO account_move ({", ".join(f'"{c}"' for c in cols)})
        SELECT {", ".join(move_exprs.get(c, f't."{c}"') for c in cols)}
          FROM bench_plan p
          JOIN account_move t ON t.id = p.template_id
          JOIN res_partner rp ON rp.id = p.partner_id
        """
    )
    cr.execute(
        f"""
        CREATE TEMP TABLE bench_lines ON COMMIT DROP AS
        SELECT nextval('account_move_line_id_seq')::int AS new_id, l.id AS template_line_id,
               p.new_id AS move_id, p.name, p.partner_id, {shift} AS shift
          FROM bench_plan p
          JOIN account_move t ON t.id = p.template_id
          JOIN account_move_line l ON l.move_id = t.id
        """
    )
    line_exprs = {
        "id": "b.new_id",
        "move_id": "b.move_id",
        "partner_id": "rp.commercial_partner_id",
        "move_name": "b.name",
        "name": "CASE WHEN l.name = l.move_name THEN b.name ELSE l.name END",
        "date": "l.date + b.shift",
        "invoice_date": "l.invoice_date + b.shift",
        "date_maturity": "l.date_maturity + b.shift",
        "discount_date": "l.discount_date + b.shift",
        "matching_number": "NULL",
        "full_reconcile_id": "NULL",
        "create_date": "now() AT TIME ZONE 'UTC'",
        "write_date": "now() AT TIME ZONE 'UTC'",
    }
    cols = columns("account_move_line")
    cr.execute(
        f"""
        INSERT INTO account_move_line ({", ".join(f'"{c}"' for c in cols)})
        SELECT {", ".join(line_exprs.get(c, f'l."{c}"') for c in cols)}
          FROM bench_lines b
          JOIN account_move_line l ON l.id = b.template_line_id
          JOIN res_partner rp ON rp.id = b.partner_id
        """
    )
    for table, column in (
        ("account_move_line_account_tax_rel", "account_move_line_id"),
        ("account_account_tag_account_move_line_rel", "account_move_line_id"),
    ):
        others = [c for c in columns(table) if c != column]
        cr.execute(
            f"""
            INSERT INTO {table} ({column}, {", ".join(others)})
            SELECT b.new_id, {", ".join(f"r.{c}" for c in others)}
              FROM bench_lines b JOIN {table} r ON r.{column} = b.template_line_id
            """
        )
    cr.execute(
        "SELECT COUNT(*) FROM account_move_line l JOIN bench_lines b ON b.template_line_id = l.id "
        "WHERE l.analytic_distribution IS NOT NULL"
    )
    if cr.fetchone()[0]:
        raise RuntimeError("templates with analytic lines cannot be copied by SQL")
    cr.execute(
        "UPDATE res_partner SET customer_rank = 1 "
        "WHERE id IN (SELECT partner_id FROM bench_plan) AND customer_rank = 0"
    )
    cr.commit()
    env.invalidate_all()
    env.registry.clear_cache()


def check_invoices(env):
    """Check the posted customer invoices the way the ORM sees them."""
    cr = env.cr
    checks = {}
    cr.execute(
        """
        SELECT COUNT(*) FROM (
            SELECT m.id
              FROM account_move m JOIN account_move_line l ON l.move_id = m.id
             WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
             GROUP BY m.id, m.amount_residual, m.amount_total
            HAVING SUM(l.balance) != 0
                OR SUM(l.amount_residual) FILTER (WHERE l.display_type = 'payment_term')
                   != m.amount_residual
                OR SUM(l.balance) FILTER (WHERE l.display_type = 'payment_term') != m.amount_total
        ) wrong
        """
    )
    checks["unbalanced_or_inconsistent"] = cr.fetchone()[0]
    if checks["unbalanced_or_inconsistent"]:
        raise RuntimeError(f"inconsistent invoices: {checks}")
    cr.execute(
        "SELECT name, journal_id, COUNT(*) FROM account_move WHERE state = 'posted' "
        "GROUP BY name, journal_id HAVING COUNT(*) > 1"
    )
    if cr.fetchall():
        raise RuntimeError("duplicate invoice names")
    Move = env["account.move"]
    sample = Move.search(
        [("move_type", "=", "out_invoice"), ("state", "=", "posted")], order="id desc", limit=50
    )
    stored = {
        m.id: (m.amount_total, m.amount_residual, m.payment_state, m.invoice_date_due)
        for m in sample
    }
    # Everything is committed: the checks below are rolled back at the end.
    # Recompute amounts and payment state from the lines: same as stored.
    sample._compute_amount()
    sample._compute_payment_state()
    for m in sample:
        got = (m.amount_total, m.amount_residual, m.payment_state, m.invoice_date_due)
        if got != stored[m.id]:
            raise RuntimeError(f"{m.name}: stored {stored[m.id]}, recomputed {got}")
    checks["sample_recomputed"] = len(sample)
    # A payment on the newest invoice reconciles and pays it.
    move = sample[0]
    env["account.payment.register"].with_context(
        active_model="account.move", active_ids=move.ids
    ).create({"payment_date": move.invoice_date_due})._create_payments()
    if move.payment_state not in ("paid", "in_payment"):
        raise RuntimeError(f"{move.name}: payment_state {move.payment_state} after payment")
    checks["payment_test"] = f"{move.name}: {move.payment_state}"
    env.flush_all()
    cr.rollback()
    env.invalidate_all()
    return checks


class QueryStats:
    """Count queries by statement text (the template, parameters apart)."""

    def __init__(self):
        self.by_query = {}

    def __call__(self, cr, query, params, start, delay):
        text = query.decode() if isinstance(query, bytes) else str(query)
        text = " ".join(text.split())
        count, total = self.by_query.get(text, (0, 0.0))
        self.by_query[text] = (count + 1, total + delay)

    def top(self, limit=25):
        rows = sorted(self.by_query.items(), key=lambda item: -item[1][0])[:limit]
        return [f"{count:>9,d} {total:8.2f}s  {text[:230]}" for text, (count, total) in rows]


def rss_mb():
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run_cron_job(odoo, registry, dbname, cron_id):
    """Run the job like the cron worker: acquire it while it is ready, process it."""
    import threading

    from odoo.modules.registry import Registry

    threading.current_thread().dbname = dbname
    db = odoo.sql_db.db_connect(dbname)
    rounds = 0
    while True:
        with db.cursor() as cron_cr:
            job = registry["ir.cron"]._acquire_one_job(cron_cr, cron_id)
            if not job:
                break
            Registry(dbname)["ir.cron"]._process_job(db, cron_cr, job)
            rounds += 1
        if rounds > 100_000:
            raise RuntimeError("the cron never reports completion")
    return rounds


def measure_cron(odoo, registry, dbname, cron_id, profile=False, out_dir="/tmp"):
    import threading

    import psutil

    with registry.cursor() as cr:
        cr.execute(
            "UPDATE ir_cron SET active = TRUE, "
            "nextcall = (now() AT TIME ZONE 'UTC') - interval '1 minute' WHERE id = %s",
            [cron_id],
        )
        cr.execute("SELECT COALESCE(MAX(id), 0) FROM ir_cron_progress")
        progress_before = cr.fetchone()[0]
        cr.execute("SELECT failure_count FROM ir_cron WHERE id = %s", [cron_id])
        failures_before = cr.fetchone()[0]
        counts_before = snapshot(cr)

    process = psutil.Process()
    rss_before = process.memory_info().rss
    peak = [rss_before]
    stop = threading.Event()

    def sample():
        while not stop.wait(0.02):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    stats = QueryStats() if profile else None
    profiler = None
    if profile:
        import cProfile

        threading.current_thread().query_hooks = (stats,)
        profiler = cProfile.Profile()
    sampler.start()
    pg_before = postgres_cpu(registry)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    load_before = os.getloadavg()[0]
    queries_before = odoo.sql_db.sql_counter
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    rounds = run_cron_job(odoo, registry, dbname, cron_id)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    queries = odoo.sql_db.sql_counter - queries_before
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    load_after = os.getloadavg()[0]
    pg_after = postgres_cpu(registry)
    stop.set()
    sampler.join()
    peak[0] = max(peak[0], process.memory_info().rss)
    if profile:
        threading.current_thread().query_hooks = ()

    with registry.cursor() as cr:
        cr.execute(
            "SELECT COUNT(*), COALESCE(SUM(done), 0) FROM ir_cron_progress "
            "WHERE cron_id = %s AND id > %s",
            [cron_id, progress_before],
        )
        calls, done = cr.fetchone()
        counts_after = snapshot(cr)
        cr.execute("SELECT failure_count FROM ir_cron WHERE id = %s", [cron_id])
        if cr.fetchone()[0] != failures_before:
            raise RuntimeError("the cron job failed (traceback above): no figures")
    result = {
        "seconds": seconds,
        "queries": queries,
        "rounds": rounds,
        "calls": calls,
        "odoo_cpu": (cpu_after.ru_utime + cpu_after.ru_stime)
        - (cpu_before.ru_utime + cpu_before.ru_stime),
        "pg_cpu": sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items()),
        "load": [load_before, load_after],
        "done": done,
        "rss_before_mb": rss_before / 2**20,
        "peak_rss_mb": peak[0] / 2**20,
        "rss_increase_mb": (peak[0] - rss_before) / 2**20,
        "reminders": counts_after["reminders"] - counts_before["reminders"],
        "sent": counts_after["sent"] - counts_before["sent"],
        "lines": {
            kind: counts_after["lines"].get(kind, 0) - counts_before["lines"].get(kind, 0)
            for kind in set(counts_after["lines"]) | set(counts_before["lines"])
        },
        "messages": counts_after["messages"] - counts_before["messages"],
        "move_states": counts_after["move_states"],
    }
    result["lines_total"] = sum(result["lines"].values())
    if profile:
        import io
        import pstats

        profiler.dump_stats(str(Path(out_dir) / f"profile_{dbname}.prof"))
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        tottime = io.StringIO()
        pstats.Stats(profiler, stream=tottime).sort_stats("tottime").print_stats(25)
        text = "\n".join(["Queries by statement (count, seconds, statement):", *stats.top(30)])
        result["profile"] = {
            "text": text,
            "cumulative": out.getvalue(),
            "tottime": tottime.getvalue(),
        }
    return result


def postgres_cpu(registry):
    """CPU seconds used so far by the PostgreSQL client backends of this database
    (only this process connects to the scratch database; autovacuum is left out)."""
    import psutil

    with registry.cursor() as cr:
        cr.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend'"
        )
        pids = [row[0] for row in cr.fetchall()]
    cpu = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        cpu[pid] = times.user + times.system
    return cpu


def snapshot(cr):
    cr.execute("SELECT state, COUNT(*) FROM dunning_reminder GROUP BY state")
    states = dict(cr.fetchall())
    cr.execute("SELECT kind, COUNT(*) FROM dunning_reminder_line GROUP BY kind")
    lines = dict(cr.fetchall())
    cr.execute("SELECT COUNT(*) FROM mail_message")
    messages = cr.fetchone()[0]
    cr.execute(
        "SELECT dunning_state, COUNT(*) FROM account_move "
        "WHERE move_type = 'out_invoice' AND state = 'posted' GROUP BY dunning_state"
    )
    move_states = dict(cr.fetchall())
    return {
        "reminders": sum(states.values()),
        "sent": states.get("sent", 0),
        "lines": lines,
        "messages": messages,
        "move_states": move_states,
    }


def phase_cron(args):
    odoo = odoo_env_setup(args)
    from odoo import SUPERUSER_ID, api, fields

    registry = odoo.modules.registry.Registry(args.target)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cron_id = env.ref(f"{ADDON}.ir_cron_dunning_process").id
        today = str(fields.Date.context_today(env["res.partner"]))
        # Only our job must be ready: park the others for the measurement.
        cr.execute(
            "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + interval '1 day' "
            "WHERE id != %s",
            [cron_id],
        )
        cr.execute("DELETE FROM ir_cron_trigger")
        if args.batch_size:
            env["ir.config_parameter"].set_param(f"{ADDON}.batch_size", str(args.batch_size))
        if args.auto_send:
            cr.execute("UPDATE dunning_scenario SET auto_send = TRUE")
    first = measure_cron(
        odoo, registry, args.target, cron_id, profile=args.profile, out_dir=args.out_dir
    )
    result = {"today": today, "first": first}
    if args.profile:
        result["profile"] = first.pop("profile")
        name = Path(args.out_dir) / f"profile_{args.target}.txt"
        name.write_text(
            result["profile"]["text"]
            + "\n\n"
            + result["profile"]["tottime"]
            + "\n\n"
            + result["profile"]["cumulative"]
        )
        result["profile"]["file"] = str(name)
    else:
        result["second"] = measure_cron(odoo, registry, args.target, cron_id)
    Path(args.json_out).write_text(json.dumps(result, indent=1, default=str))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="bench_dunning", help="prefix of the scratch databases")
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="invoice counts, e.g. 1000,10000"
    )
    parser.add_argument(
        "--source",
        default="worktree",
        help="code to measure: worktree (default) or a git revision such as HEAD",
    )
    parser.add_argument("--addons-path", default=DEFAULT_ADDONS_PATH, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk", type=int, default=500, help="invoices created per ORM call")
    parser.add_argument(
        "--method",
        choices=["sql", "orm"],
        default="sql",
        help="sql: ORM-made template invoices copied by SQL (fast); orm: every invoice by the ORM",
    )
    parser.add_argument(
        "--templates", type=int, default=500, help="ORM-made invoices the sql method copies"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=0,
        help="dunning_scenario.batch_size (default: the addon's)",
    )
    parser.add_argument(
        "--rebuild-base", action="store_true", help="reinstall the addon in <db>_base"
    )
    parser.add_argument("--reuse-data", action="store_true", help="reuse <db>_<N> if present")
    parser.add_argument("--keep-run", action="store_true", help="keep <db>_<N>_run for inspection")
    parser.add_argument(
        "--auto-send", action="store_true", help="make every scenario auto-send (measures sending)"
    )
    parser.add_argument("--profile", action="store_true", help="also profile the cron (extra run)")
    parser.add_argument("--out-dir", default="/tmp/bench_dunning", help="JSON results and profiles")
    # internal: one phase in a child process
    parser.add_argument("--phase", choices=["populate", "cron"], help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "populate":
        phase_populate(args)
    elif args.phase == "cron":
        phase_cron(args)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
