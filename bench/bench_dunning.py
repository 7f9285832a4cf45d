#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark of the daily dunning run (``dunning_scenario``) against its peer,
OCA ``account_credit_control`` 18.0, on the same generated ledgers.

``make bench`` (BENCH_SIZES=10000 by default) runs it from a fresh clone: the
machine set-up of scripts/setup.sh gives the Odoo configuration (var/odoo.conf);
everything else is built here and cached under var/bench, keyed by what it is
made of, so reruns only measure:

  <db>_deps        the addon's dependencies, no demo data (a generic chart);
  <db>_<N>_ledger  + N posted customer invoices over N/5 customers, N/100
                   credit notes (no reminder module);
  <db>_<N>         the ledger with dunning_scenario installed (the code measured
                   is a snapshot of the working tree, or of --source);
  <db>_<N>_peer    the ledger with the peer installed from its published wheel
                   (pip download --no-deps, unpacked into var/bench/peer) and
                   its shipped three-level policy set on the receivable account.

For each size it runs the daily job exactly as Odoo's cron worker does
(``ir.cron._acquire_one_job`` + ``_process_job``: batches of calls to
``_cron_process_dunning`` with a commit after each, until the job is done),
then again the same day, then times the first page of the accountants' lists;
and the peer's credit control run of the same day (``generate_credit_lines``,
committed) on a copy of the same ledger. Every measurement runs in a fresh
Python process and prints wall and CPU seconds, SQL queries, peak memory, what
was created, the machine load, and the ratios peer / ours. See bench/README.md.
"""

import argparse
import configparser
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON = "dunning_scenario"
ODOO_CONF = ROOT / "var" / "odoo.conf"  # written by scripts/setup.sh
# Bump when the generated ledger changes, so that cached ledgers are rebuilt.
LEDGER_VERSION = 2
PEER_MODULE = "account_credit_control"
PEER_REQUIREMENT = "odoo-addon-account-credit-control==18.0.*"

# Customer profiles: (xml id of the addon's category or None, share of the customers).
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
CONF = None  # the [options] of ODOO_CONF, read by orchestrate()


# ----------------------------------------------------------------------
# Orchestration (no Odoo registry in this process)
# ----------------------------------------------------------------------


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def read_conf():
    """The Odoo configuration scripts/setup.sh writes: addons path, data dir, port."""
    if not ODOO_CONF.exists():
        sys.exit(f"{ODOO_CONF} is missing: run scripts/setup.sh (make bench does)")
    parser = configparser.ConfigParser()
    parser.read(ODOO_CONF)
    options = parser["options"]
    port = options.get("db_port", "False")
    if port not in ("False", ""):
        os.environ["PGPORT"] = port  # for psql, createdb and dropdb
    return options


def odoo_addons_path(conf):
    """Odoo's own addons folders: the configured path without this repository."""
    root = os.path.realpath(ROOT)
    return [p for p in conf["addons_path"].split(",") if os.path.realpath(p) != root]


def filestore(db):
    return Path(CONF["data_dir"]) / "filestore" / db


def psql(db, sql):
    return subprocess.run(
        ["psql", "-X", "-q", "-d", db, "-Atc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def db_exists(db):
    return psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"


def db_key(db):
    """What a cached database was built from (stored as its comment)."""
    if not db_exists(db):
        return None
    return psql(
        "postgres",
        f"SELECT shobj_description(oid, 'pg_database') FROM pg_database " f"WHERE datname = '{db}'",
    )


def set_db_key(db, key):
    psql("postgres", f"COMMENT ON DATABASE {db} IS '{key}'")


def copy_db(source, target):
    drop_db(target)
    run(["createdb", "-T", source, target])
    if filestore(source).exists():
        shutil.copytree(filestore(source), filestore(target))


def settle():
    """Start a timed run from a quiet server: a checkpoint writes now what the
    copy of the database left to write, which PostgreSQL would otherwise write
    during the run (its next checkpoint), whichever side is timed. Done
    before each side's run alike; skipped (said once) when the bench's role
    may not ask for a checkpoint."""
    try:
        psql("postgres", "CHECKPOINT")
    except subprocess.CalledProcessError as error:
        if not getattr(settle, "said", False):
            log(f"no CHECKPOINT before the timed runs: {error.stderr.strip()}")
            settle.said = True


def drop_db(db):
    run(
        ["dropdb", "--if-exists", "--force", db],
        env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"},
    )
    shutil.rmtree(filestore(db), ignore_errors=True)


def odoo_run(args, db, addons_path, *extra):
    """odoo-bin with the project's configuration, in a fresh process."""
    logfile = Path(args.out_dir) / f"odoo_{db}.log"
    cmd = [
        sys.executable,
        "-m",
        "odoo",
        "-c",
        str(ODOO_CONF),
        "-d",
        db,
        f"--addons-path={addons_path}",
        "--stop-after-init",
        "--without-demo=all",
        "--http-port=0",
        f"--logfile={logfile}",
        "--log-level=warn",
        *extra,
    ]
    if subprocess.run(cmd, cwd="/tmp", check=False).returncode:
        print(logfile.read_text()[-5000:], file=sys.stderr)
        raise SystemExit(f"odoo failed on {db}: {' '.join(extra)} (log {logfile})")


def snapshot_addon(args):
    """Copy the addon to measure into the output folder, so that edits made
    meanwhile in the repository do not change the code under measurement.

    :return: (folder holding the copy, hash of the addon's files, description)
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
        described = subprocess.run(
            ["git", "-C", str(folder), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", ADDON],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        described = f"{described[:70]}{' + uncommitted changes' if dirty else ''}"
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
        ).stdout.strip()[:70]
    digest = hashlib.sha256()
    for path in sorted((target / ADDON).rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(target)).encode())
            digest.update(path.read_bytes())
    return str(target), digest.hexdigest()[:12], described


def fetch_peer(args):
    """The peer's published wheel, downloaded once into var/bench/wheels and
    unpacked: :return: (its addons folder, its version)."""
    wheels = Path(args.out_dir) / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    found = sorted(wheels.glob("odoo_addon_account_credit_control-18.0.*.whl"))
    if not found or args.refresh_peer:
        log(f"downloading the peer: pip download --no-deps {PEER_REQUIREMENT}")
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "-d",
                str(wheels),
                PEER_REQUIREMENT,
            ]
        )
        found = sorted(wheels.glob("odoo_addon_account_credit_control-18.0.*.whl"))
    wheel = found[-1]
    version = wheel.name.split("-")[1]
    target = Path(args.out_dir) / "peer" / version
    if not (target / "odoo" / "addons" / PEER_MODULE).is_dir():
        shutil.rmtree(target, ignore_errors=True)
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
    # Its own Python requirements (besides Odoo) must be importable.
    metadata = next(target.glob("*.dist-info/METADATA")).read_text()
    requires = [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    ]
    others = [r for r in requires if not r.startswith(("odoo==", "odoo>=", "odoo "))]
    if others:
        sys.exit(f"the peer needs Python packages the bench does not install: {others}")
    return str(target / "odoo" / "addons"), version


def manifest_depends():
    import ast

    manifest = ast.literal_eval((ROOT / ADDON / "__manifest__.py").read_text())
    return sorted(manifest["depends"])


def build_ledger(args, n):
    """<db>_<N>_ledger: the addon's dependencies and the generated ledger, no
    reminder module. Cached, keyed by what it is made of."""
    base = f"{args.ledger_db}_deps"
    depends = ",".join(manifest_depends())
    odoo_version = subprocess.run(
        [sys.executable, "-c", "import odoo.release as r; print(r.version)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    base_key = f"modules={depends} odoo={odoo_version}"
    if db_key(base) != base_key:
        log(f"building {base}: {depends}, no demo data (about a minute)")
        drop_db(base)
        odoo_run(args, base, ",".join(args.odoo_addons), "-i", depends)
        set_db_key(base, base_key)
    ledger = f"{args.ledger_db}_{n}_ledger"
    key = f"{base_key} n={n} seed={args.seed} method={args.method} ledger={LEDGER_VERSION}"
    saved = Path(args.out_dir) / f"populate_{ledger}.json"
    if db_key(ledger) == key:
        log(f"N={n:,}: reusing {ledger}")
        if not saved.exists():
            # Built by another checkout (its out-dir holds the summary): count again.
            saved.write_text(json.dumps(ledger_summary(ledger, n), indent=1))
        return ledger, key, json.loads(saved.read_text())
    log(f"N={n:,}: generating {ledger}")
    copy_db(base, ledger)
    populate = child(args, "populate", ledger, n, ",".join(args.odoo_addons))
    saved.write_text(json.dumps(populate, indent=1))
    log(
        f"N={n:,}: {populate['invoices']:,} invoices over {populate['customers']:,} customers "
        f"in {populate['seconds']:.1f} s"
    )
    run(["psql", "-X", "-q", "-d", ledger, "-c", "VACUUM ANALYZE"])
    set_db_key(ledger, key)
    return ledger, key, populate


def ledger_summary(ledger, n):
    """What phase_populate reports of a ledger, counted from the database."""
    counts = dict(
        line.split("|")
        for line in psql(
            ledger,
            "SELECT move_type, COUNT(*) FROM account_move WHERE state = 'posted' "
            "AND move_type IN ('out_invoice', 'out_refund') GROUP BY move_type",
        ).splitlines()
    )
    return {
        "customers": max(1, n // 5),
        "invoices": int(counts.get("out_invoice", 0)),
        "credit_notes": int(counts.get("out_refund", 0)),
        "seconds": 0.0,
    }


def build_dunning(args, n, ledger, ledger_key):
    """<db>_<N>: the ledger with the addon installed (as on a live database)."""
    db = f"{args.db}_{n}"
    key = f"{ledger_key} addon={args.addon_hash}"
    if db_key(db) == key:
        log(f"N={n:,}: reusing {db}")
        return db
    log(f"N={n:,}: installing {ADDON} on a copy of {ledger}")
    copy_db(ledger, db)
    started = time.perf_counter()
    odoo_run(args, db, args.addons_path, "-i", ADDON)
    log(f"N={n:,}: {ADDON} installed in {time.perf_counter() - started:.0f} s")
    # The customers' categories, by profile, now that the addon's exist.
    psql(
        db,
        """
        INSERT INTO res_partner_res_partner_category_rel (partner_id, category_id)
        SELECT p.partner_id, d.res_id
          FROM bench_profile p
          JOIN ir_model_data d ON d.module = 'dunning_scenario' AND d.name = p.xmlid
        """,
    )
    run(["psql", "-X", "-q", "-d", db, "-c", "VACUUM ANALYZE"])
    set_db_key(db, key)
    return db


def build_peer(args, n, ledger, ledger_key):
    """<db>_<N>_peer: the same ledger with the peer installed and set up."""
    db = f"{args.db}_{n}_peer"
    key = f"{ledger_key} peer={args.peer_version}"
    if db_key(db) == key:
        log(f"N={n:,}: reusing {db}")
        return db
    log(f"N={n:,}: installing {PEER_MODULE} {args.peer_version} on a copy of {ledger}")
    copy_db(ledger, db)
    started = time.perf_counter()
    odoo_run(args, db, args.peer_addons_path, "-i", PEER_MODULE)
    log(f"N={n:,}: {PEER_MODULE} installed in {time.perf_counter() - started:.0f} s")
    child(args, "peer_setup", db, n, args.peer_addons_path)
    run(["psql", "-X", "-q", "-d", db, "-c", "VACUUM ANALYZE"])
    set_db_key(db, key)
    return db


def child(args, phase, db, n, addons_path, extra=()):
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
        addons_path,
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


def machine():
    load = os.getloadavg()
    cpus = os.cpu_count()
    return f"{cpus} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)"


def orchestrate(args):
    global CONF
    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    CONF = read_conf()
    args.odoo_addons = odoo_addons_path(CONF)
    sizes = [int(s) for s in args.sizes.replace(" ", ",").split(",") if s.strip()]
    folder, args.addon_hash, described = snapshot_addon(args)
    args.addons_path = ",".join([folder, *args.odoo_addons])
    log(f"machine: {machine()}")
    log(f"measuring {ADDON} from {described} (files hash {args.addon_hash})")
    if not args.no_peer:
        peer_folder, args.peer_version = fetch_peer(args)
        args.peer_addons_path = ",".join([peer_folder, *args.odoo_addons])
        log(f"peer: OCA {PEER_MODULE} {args.peer_version} (published wheel)")
    results = []
    for n in sizes:
        ledger, ledger_key, populate = build_ledger(args, n)
        data_db = build_dunning(args, n, ledger, ledger_key)
        run_db = f"{data_db}_run"
        copy_db(data_db, run_db)
        extra = ["--batch-size", str(args.batch_size)] if args.batch_size else []
        if args.auto_send:
            extra += ["--auto-send", args.auto_send]
        log(f"N={n:,}: running the daily job on {run_db}, as the cron worker does")
        settle()
        cron = child(args, "cron", run_db, n, args.addons_path, extra)
        if args.profile:
            copy_db(data_db, run_db)
            log(f"N={n:,}: profiling the daily job on a fresh {run_db}")
            settle()
            cron["profile"] = child(
                args, "cron", run_db, n, args.addons_path, [*extra, "--profile"]
            )["profile"]
        if not args.keep_run:
            drop_db(run_db)
        peer = None
        if not args.no_peer:
            peer_db = build_peer(args, n, ledger, ledger_key)
            peer_run = f"{peer_db}run"
            copy_db(peer_db, peer_run)
            log(f"N={n:,}: running the peer's credit control run on {peer_run}")
            settle()
            peer = child(args, "peer", peer_run, n, args.peer_addons_path)
            if not args.keep_run:
                drop_db(peer_run)
        results.append(
            {
                "n": n,
                "source": described,
                "addon_hash": args.addon_hash,
                "peer_version": getattr(args, "peer_version", None),
                "populate": populate,
                "cron": cron,
                "peer": peer,
                "machine": machine(),
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
    """The results of this bench run, one column per size."""
    rows = []

    def row(label, values):
        rows.append((label, values))

    def per_k(value, n):
        return value * 1000.0 / n

    ns = [r["n"] for r in results]
    pops = [r["populate"] for r in results]
    first = [r["cron"]["first"] for r in results]
    second = [r["cron"].get("second") for r in results]
    peers = [r.get("peer") for r in results]
    row("Ledger", None)
    row("invoices (posted, open)", [fmt(p["invoices"]) for p in pops])
    row("customers", [fmt(p["customers"]) for p in pops])
    row("credit notes (open)", [fmt(p["credit_notes"]) for p in pops])
    row(f"{ADDON}: the daily job, run as the cron worker runs it", None)
    row("seconds (wall)", [fmt(f["seconds"], ",.1f") for f in first])
    row("Odoo process CPU s", [fmt(f["odoo_cpu"], ",.1f") for f in first])
    row("PostgreSQL CPU s", [fmt(f["pg_cpu"], ",.1f") for f in first])
    row("load avg 1 min before/after", [f"{f['load'][0]:.1f}/{f['load'][1]:.1f}" for f in first])
    row(
        "ms per invoice",
        [fmt(per_k(f["seconds"], n), ".2f") for f, n in zip(first, ns, strict=True)],
    )
    row("SQL queries", [fmt(f["queries"]) for f in first])
    row(
        "queries / 1,000 invoices",
        [fmt(per_k(f["queries"], n)) for f, n in zip(first, ns, strict=True)],
    )
    row(
        "peak RSS MB (increase)",
        [f"{f['peak_rss_mb']:.0f} ({f['rss_increase_mb']:+.0f})" for f in first],
    )
    row("calls (batches) / worker rounds", [f"{f['calls']}/{f['rounds']}" for f in first])
    row("reminders created", [fmt(f["reminders"]) for f in first])
    row(
        "lines level/overdue/credit",
        [
            "/".join(fmt(f["lines"].get(kind, 0)) for kind in ("level", "overdue", "credit"))
            for f in first
        ],
    )
    row("chatter notes created", [fmt(f["messages"]) for f in first])
    row("reminders sent / emails queued", [f"{f['sent']:,}/{f['mails']:,}" for f in first])
    row("run records created", [fmt(f.get("run_records")) for f in first])
    sending = [r["cron"].get("sending") for r in results]
    if any(sending):
        sending_rows(row, sending)
    if all(second):
        row("2nd run same day: seconds", [fmt(s["seconds"], ",.2f") for s in second])
        row("2nd run: queries / created", [f"{s['queries']}/{s['lines_total']}" for s in second])
    if any(peers):
        version = next(r["peer_version"] for r in results if r.get("peer"))
        row(f"Peer: OCA {PEER_MODULE} {version}, a credit control run", None)
        row("seconds (wall)", [fmt(p and p["seconds"], ",.1f") for p in peers])
        row("Odoo process CPU s", [fmt(p and p["odoo_cpu"], ",.1f") for p in peers])
        row("PostgreSQL CPU s", [fmt(p and p["pg_cpu"], ",.1f") for p in peers])
        row(
            "load avg 1 min before/after",
            [f"{p['load'][0]:.1f}/{p['load'][1]:.1f}" if p else "-" for p in peers],
        )
        row("SQL queries", [fmt(p and p["queries"]) for p in peers])
        row(
            "queries / 1,000 invoices",
            [fmt(p and per_k(p["queries"], n)) for p, n in zip(peers, ns, strict=True)],
        )
        row(
            "peak RSS MB (increase)",
            [f"{p['peak_rss_mb']:.0f} ({p['rss_increase_mb']:+.0f})" if p else "-" for p in peers],
        )
        row("credit control lines created", [fmt(p and p["lines_total"]) for p in peers])
        row("customers with lines", [fmt(p and p["partners"]) for p in peers])
        row("chatter notes created", [fmt(p and p["messages"]) for p in peers])
        row("Ratios peer / ours, same bench run", None)
        row(
            "CPU, Odoo + PostgreSQL (x less)",
            [
                fmt((p["odoo_cpu"] + p["pg_cpu"]) / (f["odoo_cpu"] + f["pg_cpu"]), ",.1f")
                if p and f["odoo_cpu"] + f["pg_cpu"]
                else "-"
                for p, f in zip(peers, first, strict=True)
            ],
        )
        for label, key in (
            ("wall time (x faster)", "seconds"),
            ("SQL queries (x fewer)", "queries"),
            ("peak RSS (x smaller)", "peak_rss_mb"),
        ):
            row(
                label,
                [
                    fmt(p[key] / f[key], ",.1f") if p and f[key] else "-"
                    for p, f in zip(peers, first, strict=True)
                ],
            )
    lists = [r["cron"].get("lists") or {} for r in results]
    labels = list(dict.fromkeys(label for found in lists for label in found))
    if labels:
        row("First page of the lists after the run: server ms (queries)", None)
        for label in labels:
            row(
                label,
                [
                    f"{found[label]['ms']:.0f} ({found[label]['queries']})"
                    if label in found
                    else "-"
                    for found in lists
                ],
            )
    if len(ns) > 1:
        ratios_t, ratios_q = ["-"], ["-"]
        for i in range(1, len(ns)):
            ratios_t.append(
                f"{(first[i]['seconds'] / ns[i]) / (first[i - 1]['seconds'] / ns[i - 1]):.2f}"
            )
            ratios_q.append(
                f"{(first[i]['queries'] / ns[i]) / (first[i - 1]['queries'] / ns[i - 1]):.2f}"
            )
        row("Scaling", None)
        row("time per invoice vs previous size", ratios_t)
        row("queries per invoice vs previous size", ratios_q)

    width = max(len(label) for label, __ in rows) + 2
    colw = 17
    header = "".ljust(width) + "".join(f"N={n:,}".rjust(colw) for n in ns)
    lines = [
        f"{ADDON} {results[0]['source']} (files {results[0]['addon_hash']}), "
        f"{time.strftime('%Y-%m-%d %H:%M')}",
        f"machine: {results[-1]['machine']}",
        "",
        header,
    ]
    for label, values in rows:
        if values is None:
            lines.append("-- " + label)
        else:
            lines.append(label.ljust(width) + "".join(str(v).rjust(colw) for v in values))
    lines += [
        sending_line(r["n"], r["cron"]["sending"]) for r in results if r["cron"].get("sending")
    ]
    text = "\n".join(lines)
    print("\n" + text + "\n", flush=True)
    (Path(args.out_dir) / "table.txt").write_text(text + "\n")
    for r in results:
        profile = r["cron"].get("profile")
        if profile:
            print(f"Profile N={r['n']:,} (separate run, slower because profiled):")
            print(profile["text"])


def sending_rows(row, sending):
    """The rows of the automatic sending (--auto-send), one value per size."""
    row("automatic sending run: seconds", [fmt(x and x["seconds"], ",.1f") for x in sending])
    row("  reminders sent", [fmt(x and x["sent"]) for x in sending])
    row("  emails queued (mail.mail)", [fmt(x and x["mails"]) for x in sending])
    row(
        "  ms per reminder sent",
        [fmt(x["seconds"] * 1000 / x["sent"], ",.0f") if x and x["sent"] else "-" for x in sending],
    )
    row(
        "  SQL queries per reminder sent",
        [fmt(x["queries"] / x["sent"], ",.0f") if x and x["sent"] else "-" for x in sending],
    )
    row("  peak RSS MB", [fmt(x and x["peak_rss_mb"]) for x in sending])
    row(
        "  reminders sent per second",
        [fmt(x["sent"] / x["seconds"], ",.1f") if x and x["seconds"] else "-" for x in sending],
    )
    row("  Odoo process CPU s", [fmt(x and x["odoo_cpu"], ",.1f") for x in sending])
    row("  PostgreSQL CPU s", [fmt(x and x["pg_cpu"], ",.1f") for x in sending])
    row(
        "  load avg 1 min before/after",
        [f"{x['load'][0]:.1f}/{x['load'][1]:.1f}" if x else "-" for x in sending],
    )


def sending_line(n, sending):
    """One line saying how the automatic sending went (--auto-send)."""
    if not sending["sent"]:
        return f"sending N={n:,}: nothing sent in {sending['seconds']:.1f} s"
    return (
        f"sending N={n:,}: {sending['sent']:,} reminders sent, {sending['mails']:,} emails "
        f"queued in {sending['seconds']:.1f} s = {sending['sent'] / sending['seconds']:.1f} "
        f"reminders/s ({sending['seconds'] * 1000 / sending['sent']:.1f} s per 1,000); CPU "
        f"Odoo {sending['odoo_cpu']:.1f} s + PostgreSQL {sending['pg_cpu']:.1f} s; load "
        f"{sending['load'][0]:.1f}/{sending['load'][1]:.1f}"
    )


# ----------------------------------------------------------------------
# Phases (inside a fresh process with an Odoo registry)
# ----------------------------------------------------------------------


def odoo_env_setup(args):
    os.environ["TZ"] = "UTC"  # what odoo-bin does
    time.tzset()
    import odoo

    odoo.tools.config.parse_config(
        [
            "-c",
            str(ODOO_CONF),
            f"--addons-path={args.addons_path}",
            "-d",
            args.target,
            "--log-level=warn",
        ]
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
    """N/5 customers; the profile of each (the addon's customer category it will
    get once the addon is installed) is kept in the table bench_profile, so that
    the ledger itself does not need the addon."""
    from psycopg2.extras import execute_values

    weights = [share for __, share in PROFILES]
    profiles = [xmlid for xmlid, __ in PROFILES]
    vals_list, chosen = [], []
    for i in range(count):
        profile = rng.choices(profiles, weights)[0]
        chosen.append(profile)
        vals_list.append(
            {
                "name": f"Bench Customer {i:06d}",
                "is_company": profile != "partner_category_individual",
                "email": f"customer{i}@bench.example.com",
            }
        )
    ids = []
    for offset in range(0, count, 2000):
        ids += env["res.partner"].create(vals_list[offset : offset + 2000]).ids
        env.invalidate_all()
    env.cr.execute("CREATE TABLE bench_profile (partner_id int PRIMARY KEY, xmlid varchar)")
    execute_values(
        env.cr._obj,
        "INSERT INTO bench_profile (partner_id, xmlid) VALUES %s",
        [(pid, xmlid) for pid, xmlid in zip(ids, chosen, strict=True) if xmlid],
        page_size=5000,
    )
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

    def top(self, limit=40):
        """The statements that took the most time in all, longest first."""
        rows = sorted(self.by_query.items(), key=lambda item: -item[1][1])[:limit]
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


def measure(odoo, registry, work, counter, profile=False, out_dir="/tmp", name="run"):
    """Run ``work()`` and measure it: wall-clock seconds, CPU of this process and
    of the PostgreSQL backends, queries, peak RSS, machine load, and what
    ``counter(cr)`` counts before and after (created records).

    :return: dict of figures, plus what ``work()`` returned
    """
    import threading

    import psutil

    with registry.cursor() as cr:
        counts_before = counter(cr)
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
    extra = work()
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
        counts_after = counter(cr)
    result = {
        "seconds": seconds,
        "queries": queries,
        "odoo_cpu": (cpu_after.ru_utime + cpu_after.ru_stime)
        - (cpu_before.ru_utime + cpu_before.ru_stime),
        "pg_cpu": sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items()),
        "load": [load_before, load_after],
        "rss_before_mb": rss_before / 2**20,
        "peak_rss_mb": peak[0] / 2**20,
        "rss_increase_mb": (peak[0] - rss_before) / 2**20,
        **extra,
    }
    for key, after in counts_after.items():
        before = counts_before.get(key, 0)
        if isinstance(after, dict):
            result[key] = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
        else:
            result[key] = after - before
    if profile:
        import io
        import pstats

        profiler.dump_stats(str(Path(out_dir) / f"profile_{name}.prof"))
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        tottime = io.StringIO()
        pstats.Stats(profiler, stream=tottime).sort_stats("tottime").print_stats(25)
        text = "\n".join(
            ["Queries by statement, longest first (count, seconds, statement):", *stats.top()]
        )
        result["profile"] = {
            "text": text,
            "cumulative": out.getvalue(),
            "tottime": tottime.getvalue(),
        }
    return result


def measure_cron(odoo, registry, dbname, cron_id, profile=False, out_dir="/tmp"):
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

    def work():
        return {"rounds": run_cron_job(odoo, registry, dbname, cron_id)}

    result = measure(odoo, registry, work, snapshot, profile=profile, out_dir=out_dir, name=dbname)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT COUNT(*), COALESCE(SUM(done), 0) FROM ir_cron_progress "
            "WHERE cron_id = %s AND id > %s",
            [cron_id, progress_before],
        )
        result["calls"], result["done"] = cr.fetchone()
        cr.execute("SELECT failure_count FROM ir_cron WHERE id = %s", [cron_id])
        if cr.fetchone()[0] != failures_before:
            raise RuntimeError("the cron job failed (traceback above): no figures")
        cr.execute(
            "SELECT p.state, COUNT(*) FROM account_move m "
            "JOIN dunning_invoice_plan p ON p.id = m.dunning_plan_id "
            "WHERE m.move_type = 'out_invoice' AND m.state = 'posted' GROUP BY p.state"
        )
        result["move_states"] = dict(cr.fetchall())
    result["lines_total"] = sum(result["lines"].values())
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
    cr.execute("SELECT COUNT(*) FROM mail_mail")
    mails = cr.fetchone()[0]
    runs = 0
    cr.execute("SELECT 1 FROM pg_class WHERE relname = 'dunning_run'")
    if cr.fetchone():
        cr.execute("SELECT COUNT(*) FROM dunning_run")
        runs = cr.fetchone()[0]
    return {
        "reminders": sum(states.values()),
        "sent": states.get("sent", 0),
        "lines": lines,
        "messages": messages,
        "mails": mails,
        "run_records": runs,
    }


# The lists whose first page is timed after the run: (label, action xml id,
# extra domain of the filters the action opens with, group by).
LISTS = [
    ("To Remind", "dunning_scenario.dunning_reminder_to_remind_action", "to_remind", "level_id"),
    ("To Remind (page)", "dunning_scenario.dunning_reminder_to_remind_action", "to_remind", None),
    ("Overdue Invoices", "dunning_scenario.account_move_action_dunning_overdue", "overdue", None),
    ("Prescription Watch", "dunning_scenario.account_move_action_dunning_prescription", "", None),
]


def time_lists(env, repeat=5):
    """Server time of the first page of the accountants' lists, as the web
    client asks for it (web_search_read of the list view's fields, 80 records,
    or web_read_group for a grouped list): the median of ``repeat`` calls,
    caches warm, as an accountant (record rules applied)."""
    from lxml import etree

    import odoo
    from odoo.tools.safe_eval import safe_eval

    user = env.ref("base.user_admin")
    env = env(user=user.id, context={"lang": "en_US", "tz": "UTC"})
    today = env["account.move"]._dunning_today()
    results = {}
    for label, xmlid, search_filter, group_by in LISTS:
        action = env.ref(xmlid, raise_if_not_found=False)
        if not action:
            continue
        Model = env[action.res_model]
        domain = safe_eval(action.domain or "[]", {"uid": env.uid})
        if search_filter == "to_remind":
            domain += [("state", "=", "draft")]
        elif search_filter == "overdue":
            domain += [("invoice_date_due", "<", today)]
        view = Model.get_views([(action.view_id.id, "list")])["views"]["list"]
        arch = etree.fromstring(view["arch"])
        spec = {}
        for node in arch.iter("field"):
            fname = node.get("name")
            field = Model._fields.get(fname)
            if not field or node.getparent().tag != "list":
                continue
            spec[fname] = {"fields": {"display_name": {}}} if field.type == "many2one" else {}
        timings, queries = [], []
        for __ in range(repeat):
            env.invalidate_all()
            before = odoo.sql_db.sql_counter
            start = time.perf_counter()
            if group_by:
                Model.web_read_group(domain, fields=[], groupby=[group_by], limit=80)
            else:
                Model.web_search_read(domain, spec, limit=80)
            timings.append(time.perf_counter() - start)
            queries.append(odoo.sql_db.sql_counter - before)
        results[label] = {
            "ms": sorted(timings)[len(timings) // 2] * 1000,
            "queries": sorted(queries)[len(queries) // 2],
            "records": Model.search_count(domain),
        }
    return results


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
        if args.auto_send:
            # Sending at volume: the reminders just prepared are sent by the
            # next run of the job, once their scenarios send automatically
            # (email only: the level's other channels are switched off).
            with registry.cursor() as cr:
                cr.execute("UPDATE dunning_scenario SET auto_send = TRUE")
                if args.auto_send == "email":
                    cr.execute(
                        "UPDATE dunning_level SET send_email = TRUE, send_sms = FALSE, "
                        "send_letter = FALSE, create_activity = FALSE "
                        "WHERE NOT COALESCE(is_litigation, FALSE)"
                    )
            result["sending"] = measure_cron(odoo, registry, args.target, cron_id)
        result["second"] = measure_cron(odoo, registry, args.target, cron_id)
        with registry.cursor() as cr:
            result["lists"] = time_lists(api.Environment(cr, SUPERUSER_ID, {}))
            # The reporting dashboards' first pages, same table (bench_reporting.py).
            from bench_reporting import time_dashboards

            result["lists"].update(time_dashboards(api.Environment(cr, SUPERUSER_ID, {})))
    Path(args.json_out).write_text(json.dumps(result, indent=1, default=str))


def phase_peer_setup(args):
    """Set the peer up as its documentation says: the company's policy (the
    shipped three-level policy) on the receivable accounts."""
    odoo = odoo_env_setup(args)
    from odoo import SUPERUSER_ID, api

    registry = odoo.modules.registry.Registry(args.target)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        policy = env.ref(f"{PEER_MODULE}.credit_control_3_time")
        company = env.ref("base.main_company")
        receivable = env["account.account"].search(
            [("account_type", "=", "asset_receivable"), ("company_ids", "in", company.ids)]
        )
        policy.account_ids = [(6, 0, receivable.ids)]
        company.credit_policy_id = policy
        name = policy.name
    Path(args.json_out).write_text(json.dumps({"policy": name}))


def peer_snapshot(cr):
    cr.execute(
        "SELECT v.level, COUNT(*) FROM credit_control_line l "
        "JOIN credit_control_policy_level v ON v.id = l.policy_level_id GROUP BY v.level"
    )
    levels = {str(level): count for level, count in cr.fetchall()}
    cr.execute("SELECT COUNT(*) FROM mail_message")
    messages = cr.fetchone()[0]
    cr.execute("SELECT COUNT(DISTINCT partner_id) FROM credit_control_line")
    partners = cr.fetchone()[0]
    return {"lines": levels, "messages": messages, "partners": partners}


def phase_peer(args):
    """The peer's daily work: a credit control run of today generating its
    lines (what its users start each day), in one transaction, committed."""
    odoo = odoo_env_setup(args)
    from odoo import SUPERUSER_ID, api, fields

    registry = odoo.modules.registry.Registry(args.target)

    def work():
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            run = env["credit.control.run"].create(
                {"date": fields.Date.context_today(env["res.partner"]), "company_id": company.id}
            )
            run.generate_credit_lines()
            cr.commit()
        return {}

    result = measure(odoo, registry, work, peer_snapshot, out_dir=args.out_dir, name=args.target)
    result["lines_total"] = sum(result["lines"].values())
    Path(args.json_out).write_text(json.dumps(result, indent=1, default=str))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="bench_dunning", help="prefix of the scratch databases")
    parser.add_argument(
        "--ledger-db",
        help="prefix of the cached dependency and ledger databases (default: --db), to share "
        "them between checkouts measuring different code",
    )
    parser.add_argument("--sizes", default="10000", help="invoice counts, e.g. 1000,10000,100000")
    parser.add_argument(
        "--source",
        default="worktree",
        help="code to measure: worktree (default) or a git revision such as HEAD",
    )
    parser.add_argument("--addons-path", help=argparse.SUPPRESS)
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
    parser.add_argument("--no-peer", action="store_true", help="do not run the peer")
    parser.add_argument(
        "--refresh-peer", action="store_true", help="download the peer's newest 18.0 wheel"
    )
    parser.add_argument("--keep-run", action="store_true", help="keep the run databases")
    parser.add_argument(
        "--auto-send",
        choices=["email", "all"],
        help="after the run, make every scenario send automatically and time the sending "
        "run: email (levels send emails only) or all (the levels' own channels)",
    )
    parser.add_argument("--profile", action="store_true", help="also profile the cron (extra run)")
    parser.add_argument(
        "--out-dir", default=str(ROOT / "var" / "bench"), help="caches, JSON results, profiles"
    )
    # internal: one phase in a child process
    parser.add_argument(
        "--phase", choices=["populate", "cron", "peer_setup", "peer"], help=argparse.SUPPRESS
    )
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out_dir = str(Path(args.out_dir).resolve())
    args.ledger_db = args.ledger_db or args.db
    if args.phase:
        globals()[f"phase_{args.phase}"](args)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
