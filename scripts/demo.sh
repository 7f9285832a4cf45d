#!/usr/bin/env bash
# `make demo`: the addon with its demo data, in French, served on
# http://localhost:$HTTP_PORT in the foreground (Ctrl-C stops the server).
#   - machine set-up (scripts/setup.sh);
#   - the SMTP catcher (scripts/smtp_catcher.py) on 127.0.0.1:$SMTP_PORT, left
#     running in the background; emails land in var/mail/ as .eml files;
#   - database $DEMO_DB: created with `-i` and demo data the first time,
#     updated with `-u` when it already has the addon; Odoo's account_payment and
#     payment_demo (a test payment provider) are installed in it too, for the
#     "pay online" links: demo only, the addon does not depend on them;
#   - scripts/demo_prepare.py: the test provider enabled for the French company,
#     the daily job left for its next morning (it does not run at start-up).
set -euo pipefail
# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

DEMO_DB=${DEMO_DB:-dunning_demo}
DEMO_MODULES=account_payment,payment_demo  # demo database only
LOGS=$VAR/log
CATCHER_PID=$VAR/smtp_catcher.pid

port_open() {
    "$VENV_PYTHON" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$1" 2>/dev/null
}

# One catcher only: reuse the one whose pid file is alive, else start one.
start_smtp_catcher() {
    if [[ -f $CATCHER_PID ]] && kill -0 "$(cat "$CATCHER_PID")" 2>/dev/null && port_open "$SMTP_PORT"; then
        log "SMTP catcher already running (pid $(cat "$CATCHER_PID"), port $SMTP_PORT)"
        return 0
    fi
    port_open "$SMTP_PORT" && die "port $SMTP_PORT is taken by another program; set SMTP_PORT=<free port>"
    log "starting the SMTP catcher on 127.0.0.1:$SMTP_PORT"
    # setsid: its own session, so Ctrl-C on the Odoo server leaves it running.
    setsid "$VENV_PYTHON" "$ROOT/scripts/smtp_catcher.py" --port "$SMTP_PORT" --dir "$VAR/mail" \
        </dev/null >>"$LOGS/smtp_catcher.log" 2>&1 &
    echo $! >"$CATCHER_PID"
    for _ in $(seq 50); do
        port_open "$SMTP_PORT" && return 0
        sleep 0.2
    done
    die "the SMTP catcher did not start; see $LOGS/smtp_catcher.log"
}

setup_machine
start_smtp_catcher

if [[ $(module_state "$DEMO_DB" "$ADDON") == installed ]]; then
    log "updating $ADDON in the existing $DEMO_DB (-u)"
    args=(-u "$ADDON" -i "$DEMO_MODULES")
    logfile=$LOGS/demo-update.log
else
    log "creating $DEMO_DB with $ADDON, its demo data and French (a few minutes)"
    db_drop "$DEMO_DB"
    args=(-i "$ADDON,$DEMO_MODULES" --load-language=fr_FR)
    logfile=$LOGS/demo-install.log
fi
rm -f "$logfile"
if ! timeout -k 30 "${INSTALL_TIMEOUT:-1200}" "$VENV_PYTHON" -m odoo -c "$ODOO_CONF" -d "$DEMO_DB" \
    --logfile "$logfile" "${args[@]}" --stop-after-init; then
    tail -n 40 "$logfile"
    die "Odoo could not install or update $ADDON in $DEMO_DB; full log: $logfile"
fi
if ! timeout -k 30 300 "$VENV_PYTHON" -m odoo shell -c "$ODOO_CONF" -d "$DEMO_DB" --no-http \
    --logfile "$LOGS/demo-prepare.log" <"$ROOT/scripts/demo_prepare.py"; then
    tail -n 40 "$LOGS/demo-prepare.log"
    die "scripts/demo_prepare.py failed on $DEMO_DB; full log: $LOGS/demo-prepare.log"
fi

cat <<EOF

  Dunning Scenarios demo: http://localhost:$HTTP_PORT   (log in as admin / admin, in French)
  Database: $DEMO_DB. Emails Odoo sends are caught, never delivered: open
  ${VAR#"$ROOT"/}/mail/index.html in a browser (one page per email; .eml files beside).
  The daily job does not run at start-up: README.md, "Demo emails", says what to click.
  Ctrl-C stops the server; the SMTP catcher keeps running
  (stop it with: kill \$(cat ${CATCHER_PID#"$ROOT"/})).

EOF
exec "$VENV_PYTHON" -m odoo -c "$ODOO_CONF" -d "$DEMO_DB" --db-filter="^$DEMO_DB\$"
