#!/usr/bin/env bash
# `make test`: the whole check of the addon, on a fresh database each time.
#   1. machine set-up (scripts/setup.sh);
#   2. a cached base database with the addon's dependencies only, built once
#      (rebuilt when missing, or when the manifest's dependencies change);
#   3. $TEST_DB copied from it, the addon installed without demo data;
#   4. a copy of $TEST_DB where the addon is uninstalled: the module must end
#      "uninstalled" with no record, table, column or index left behind;
#   5. the test suite with pytest-odoo, browser tours included (--odoo-http).
# Fails on any failing or skipped test, on pytest collecting nothing, and on any
# WARNING/ERROR line in Odoo's logs of steps 3-5 (checklog-odoo, ignore list in
# checklog-odoo.cfg). Extra arguments go to pytest (e.g. -k test_cron).
set -euo pipefail
# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

BASE_DB=${BASE_DB:-dunning_base_18}
TEST_DB=${TEST_DB:-dunning_test}
UNINSTALL_DB=${TEST_DB}_uninstall
LOGS=$VAR/log
MANIFEST=$ADDONS_DIR/$ADDON/__manifest__.py
TIMINGS=()
FAILURES=()

step() {
    STEP_NAME=$1
    STEP_START=$SECONDS
    log "$2"
}
step_done() {
    local took=$((SECONDS - STEP_START))
    TIMINGS+=("$STEP_NAME ${took}s")
    log "$STEP_NAME: done in ${took} s"
}

# odoo_logged LOGNAME TIMEOUT ARGS...: run Odoo with its log in var/log/LOGNAME.log
odoo_logged() {
    local logfile=$LOGS/$1.log limit=$2
    shift 2
    rm -f "$logfile"
    if ! timeout -k 30 "$limit" "$VENV_PYTHON" -m odoo -c "$ODOO_CONF" --logfile "$logfile" "$@"; then
        printf '\n--- %s failed; last lines of %s:\n' "$STEP_NAME" "$logfile"
        tail -n 40 "$logfile" 2>/dev/null || true
        return 1
    fi
}

check_log() {
    printf -- '--- checklog-odoo %s\n' "${1#"$ROOT"/}"
    if "$VENV_PYTHON" -m checklog_odoo -c "$ROOT/checklog-odoo.cfg" "$1"; then
        echo "no unexpected WARNING or ERROR"
    else
        FAILURES+=("WARNING/ERROR lines in ${1#"$ROOT"/}")
    fi
}

# Every relation, column and index of the public schema, one a line.
schema() {
    psql -d "$1" -tAc "
        SELECT c.relkind::text || ' ' || c.relname || coalesce('.' || a.attname, '')
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
          LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
               AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm')
         WHERE c.relkind IN ('r', 'v', 'm', 'S', 'i')" | LC_ALL=C sort
}

[[ -f $MANIFEST ]] || die "no addon at $MANIFEST"

step setup "machine set-up"
setup_machine
step_done

# -- 2. base database ---------------------------------------------------------
step base "base database $BASE_DB"
depends=$("$VENV_PYTHON" -c 'import ast, sys
print(",".join(sorted(ast.literal_eval(open(sys.argv[1]).read()).get("depends", []))))' "$MANIFEST")
odoo_version=$("$VENV_PYTHON" -c 'import odoo.release as r; print(r.version)')
base_key="modules=$depends odoo=$odoo_version"
if db_exists "$BASE_DB" && [[ -d $ODOO_DATA_DIR/filestore/$BASE_DB ]] &&
    [[ $(psql -d postgres -tAc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$BASE_DB'") == "$base_key" ]]; then
    log "reusing $BASE_DB ($base_key)"
else
    log "building $BASE_DB with $depends, no demo data (about a minute)"
    db_drop "$BASE_DB"
    odoo_logged base "${BASE_TIMEOUT:-900}" -d "$BASE_DB" -i "$depends" --without-demo=all --stop-after-init
    psql -q -d postgres -c "COMMENT ON DATABASE $BASE_DB IS '$base_key'"
fi
step_done

# -- 3. install ---------------------------------------------------------------
step install "install $ADDON in a fresh $TEST_DB"
db_copy "$BASE_DB" "$TEST_DB"
odoo_logged install "${INSTALL_TIMEOUT:-900}" -d "$TEST_DB" -i "$ADDON" --without-demo=all --stop-after-init
step_done

# -- 4. uninstall -------------------------------------------------------------
step uninstall "uninstall $ADDON from a copy, $UNINSTALL_DB"
db_copy "$TEST_DB" "$UNINSTALL_DB"
rm -f "$LOGS/uninstall.log"
if ! ADDON=$ADDON timeout -k 30 "${UNINSTALL_TIMEOUT:-600}" "$VENV_PYTHON" -m odoo shell -c "$ODOO_CONF" \
    -d "$UNINSTALL_DB" --logfile "$LOGS/uninstall.log" <<'EOF'; then
import os
import sys

from odoo.modules.registry import Registry

name = os.environ["ADDON"]
module = env["ir.module.module"].search([("name", "=", name)])
if module.state != "installed":
    sys.exit(f"uninstall check: {name} is {module.state or 'unknown'} before uninstall")
module.button_immediate_uninstall()  # commits, then reloads the registry
with Registry(env.cr.dbname).cursor() as cr:
    cr.execute("SELECT state FROM ir_module_module WHERE name = %s", [name])
    state = cr.fetchone()[0]
    cr.execute("SELECT model, name FROM ir_model_data WHERE module = %s", [name])
    leftovers = cr.fetchall()
if state != "uninstalled":
    sys.exit(f"uninstall check: {name} is {state} after uninstall")
if leftovers:
    sys.exit(f"uninstall check: records left by {name}: {leftovers[:20]}")
print(f"uninstall check: {name} is {state}, no record of it left")
EOF
    printf '\n--- last lines of %s:\n' "$LOGS/uninstall.log"
    tail -n 40 "$LOGS/uninstall.log" 2>/dev/null || true
    FAILURES+=("uninstall")
else
    schema "$BASE_DB" >"$VAR/schema-base.txt"
    schema "$UNINSTALL_DB" >"$VAR/schema-uninstalled.txt"
    leftover=$(LC_ALL=C comm -13 "$VAR/schema-base.txt" "$VAR/schema-uninstalled.txt")
    if [[ -n $leftover ]]; then
        printf 'uninstall check: left in the schema (r table, i index, S sequence, v view):\n%s\n' "$leftover"
        FAILURES+=("schema left after uninstall")
    else
        echo "uninstall check: schema back to the base database's"
    fi
fi
step_done

check_log "$LOGS/install.log"
check_log "$LOGS/uninstall.log"

# -- 5. tests -----------------------------------------------------------------
step tests "tests of $ADDON with pytest-odoo (browser tours in headless Chromium)"
rm -f "$LOGS/test.log"
set +e
timeout -k 30 "${PYTEST_TIMEOUT:-1500}" "$VENV_PYTHON" -m pytest -p no:cacheprovider \
    --rootdir "$ROOT" -v -ra -p no:warnings -p no:logging \
    --odoo-config "$ODOO_CONF" --odoo-database "$TEST_DB" --odoo-http \
    --odoo-log-level info --odoo-extra "logfile=$LOGS/test.log" \
    "$ADDONS_DIR/$ADDON/tests" "$@" 2>&1 | tee "$LOGS/pytest.out"
pytest_rc=${PIPESTATUS[0]}
set -e
step_done
summary=$(grep -E '^=+ .* in [0-9.]+s.* =+$' "$LOGS/pytest.out" | tail -n 1 || true)
case $pytest_rc in
0) ;;
5) FAILURES+=("pytest ran no test (exit code 5)") ;;
124 | 137) FAILURES+=("pytest timed out after ${PYTEST_TIMEOUT:-1500} s") ;;
*) FAILURES+=("pytest exit code $pytest_rc") ;;
esac
if [[ $summary == *skipped* && -z ${ALLOW_SKIPPED:-} ]]; then
    FAILURES+=("skipped tests (see 'SKIPPED' above; ALLOW_SKIPPED=1 to accept)")
fi
check_log "$LOGS/test.log"

log "timings: ${TIMINGS[*]}; logs in ${LOGS#"$ROOT"/}/"
if ((${#FAILURES[@]})); then
    [[ -z $summary ]] || echo "$summary"
    echo "make test: FAILED"
    printf '  - %s\n' "${FAILURES[@]}"
    exit 1
fi
echo "$summary"
