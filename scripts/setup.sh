#!/usr/bin/env bash
# Prepare this machine for the dunning_scenario addon, skipping whatever is
# already there, so it is safe to run again and again:
#   - Debian packages: PostgreSQL, wkhtmltopdf, Chromium, poppler-utils, LDAP/SASL headers;
#   - a running PostgreSQL cluster and a superuser role for the current user;
#   - the Python environment every command uses, $VENV_PYTHON (see ensure_venv):
#     $PYTHON itself when it is a virtual environment that imports Odoo 18.0,
#     else the virtual environment $VENV (default .venv, git-ignored), made by
#     `$PYTHON -m venv` (Debian's python3-venv is installed when missing);
#   - Odoo 18.0 in that environment, only when it cannot import it (installed
#     from $ODOO_SRC, outside this repository, cloned from Odoo's official
#     repository when that folder is missing);
#   - the Python packages of requirements.txt;
#   - var/odoo.conf, the Odoo configuration every script uses.
#
# Run it directly (`scripts/setup.sh`; `scripts/setup.sh --lint` only gets what
# pre-commit needs; `scripts/setup.sh --python` sets up, then prints the
# interpreter to use, e.g. `$(scripts/setup.sh --python) bench/bench_dunning.py`),
# or source it and call setup_machine: scripts/test.sh and scripts/demo.sh do,
# then run everything with "$VENV_PYTHON" (or `venv_python ARGS...`).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}                 # the interpreter to start from
VENV=${VENV:-$ROOT/.venv}                 # the virtual environment made from it
VENV_PYTHON=                              # the interpreter every command uses (ensure_venv)
ADDON=${ADDON:-dunning_scenario}          # the addon under test
ADDONS_DIR=${ADDONS_DIR:-$ROOT}           # the folder that holds it
VAR=$ROOT/var                             # generated files, git-ignored
ODOO_CONF=$VAR/odoo.conf
ODOO_DATA_DIR=${ODOO_DATA_DIR:-$HOME/.local/share/Odoo}  # filestores live here
ODOO_SRC=${ODOO_SRC:-$HOME/.cache/odoo-18.0}             # only used when Odoo is missing
HTTP_PORT=${HTTP_PORT:-8069}
SMTP_PORT=${SMTP_PORT:-2525}
APT_PACKAGES=(postgresql wkhtmltopdf chromium poppler-utils libldap2-dev libsasl2-dev)
export TZ=UTC  # what odoo-bin sets; `python -m odoo` and pytest do not

log() { printf '==> %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }
as_postgres() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

# Install the Debian packages given that are not installed yet.
APT_UPDATED=
apt_install() {
    local pkg missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$' || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    log "apt: installing ${missing[*]}"
    if [[ -z $APT_UPDATED ]]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Start the newest PostgreSQL cluster (creating one if there is none) and give
# the current user a superuser role, which Odoo uses through the Unix socket.
ensure_postgres() {
    local version name port status
    if ! read -r version name port status _ < <(pg_lsclusters --no-header 2>/dev/null | sort -V | tail -n 1); then
        version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
        log "PostgreSQL: creating cluster $version/main"
        as_root pg_createcluster "$version" main >/dev/null
        read -r version name port status _ < <(pg_lsclusters --no-header | sort -V | tail -n 1)
    fi
    if [[ $status != online* ]]; then
        log "PostgreSQL: starting cluster $version/$name"
        as_root pg_ctlcluster "$version" "$name" start
    fi
    export PGPORT=$port
    local user
    user=$(id -un)
    if [[ $(as_postgres psql -p "$port" -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$user'") != 1 ]]; then
        log "PostgreSQL: creating superuser role $user"
        as_postgres createuser -p "$port" -s "$user"
    fi
}

# The interpreter every command uses, in VENV_PYTHON:
#   (a) $PYTHON itself when it is a virtual environment's interpreter that imports
#       Odoo 18.0 (nothing is created);
#   (b) else $VENV, made by `$PYTHON -m venv`, with --system-site-packages when
#       $PYTHON imports Odoo 18.0 (a system-wide Odoo is reused, not reinstalled);
#   (c) else $VENV without system packages; ensure_odoo installs Odoo into it.
# $VENV is reused while it was made from the same interpreter the same way
# (recorded in $VENV/.dunning-setup), and made again otherwise.
ensure_venv() {
    [[ -n $VENV_PYTHON ]] && return 0
    local probe is_venv odoo_version exe version
    command -v "$PYTHON" >/dev/null || {
        [[ $PYTHON == python3 ]] && apt_install python3
    }
    command -v "$PYTHON" >/dev/null || die "no Python interpreter '$PYTHON' (set PYTHON=/path/to/python3)"
    probe=$("$PYTHON" - <<'EOF'
import sys

try:
    import odoo.release

    odoo_version = odoo.release.major_version
except Exception:
    odoo_version = "none"
print(int(sys.prefix != sys.base_prefix), odoo_version, "%d.%d" % sys.version_info[:2], sys.executable)
EOF
    ) || die "$PYTHON does not run"
    read -r is_venv odoo_version version exe <<<"$probe"
    [[ $odoo_version == none || $odoo_version == 18.0 ]] ||
        die "$PYTHON imports Odoo $odoo_version; this addon needs Odoo 18.0"
    if [[ $is_venv == 1 && $odoo_version == 18.0 ]]; then
        VENV_PYTHON=$exe
        log "Python: $exe, a virtual environment with Odoo 18.0, used as it is"
        return 0
    fi
    local options=() made_by
    [[ $odoo_version == 18.0 ]] && options=(--system-site-packages)
    made_by="$(realpath "$exe") ${options[*]:-}"
    if [[ -x $VENV/bin/python ]] && "$VENV/bin/python" -c '' 2>/dev/null &&
        [[ ! -f $VENV/.dunning-setup || $(cat "$VENV/.dunning-setup") == "$made_by" ]]; then
        VENV_PYTHON=$VENV/bin/python
        return 0
    fi
    if [[ -e $VENV ]]; then
        [[ -f $VENV/pyvenv.cfg ]] || die "$VENV exists and is not a virtual environment; remove it or set VENV"
        log "Python: $VENV was made from another interpreter or is broken: making it again"
        rm -rf "$VENV"
    fi
    if ! "$exe" -c 'import ensurepip, venv' 2>/dev/null; then
        # Debian ships venv's pip bootstrap apart, in python3-venv.
        [[ $exe == /usr/bin/* ]] || die "$exe cannot create virtual environments (no ensurepip)"
        apt_install python3-venv "python$version-venv"
    fi
    log "Python: creating the virtual environment $VENV from $exe ${options[*]:-}"
    "$exe" -m venv "${options[@]}" "$VENV"
    echo "$made_by" >"$VENV/.dunning-setup"
    VENV_PYTHON=$VENV/bin/python
}

# `venv_python ARGS...`: run the project's interpreter (after ensure_venv).
venv_python() { "${VENV_PYTHON:?ensure_venv first}" "$@"; }

# Odoo 18.0 in the virtual environment, when it cannot import it: installed from
# the source tree $ODOO_SRC (cloned from Odoo's official repository if missing).
ensure_odoo() {
    ensure_venv
    local found
    if found=$("$VENV_PYTHON" -c 'import odoo.release as r; print(r.major_version)' 2>/dev/null); then
        [[ $found == 18.0 ]] || die "$VENV_PYTHON imports Odoo $found; this addon needs Odoo 18.0"
        return 0
    fi
    log "Odoo 18.0: installing it from $ODOO_SRC into $VENV (a few minutes the first time)"
    command -v cc >/dev/null || apt_install build-essential
    apt_install libldap2-dev libsasl2-dev libpq-dev
    # psycopg2 and python-ldap build from source: Debian's Python needs its headers.
    if [[ $(realpath "$VENV_PYTHON") == /usr/bin/* ]]; then
        apt_install "python$("$VENV_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-dev"
    fi
    if [[ ! -f $ODOO_SRC/odoo-bin ]]; then
        command -v git >/dev/null || apt_install git
        rm -rf "$ODOO_SRC"
        mkdir -p "$(dirname "$ODOO_SRC")"
        git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo "$ODOO_SRC"
    fi
    # cbor2 (an Odoo requirement) builds from source with setuptools'
    # pkg_resources, gone in setuptools 81. PIP_CONSTRAINT also reaches pip's
    # isolated build environments; it replaces pip's configured constraint
    # file, so that file's lines are carried over.
    local constraints=$VAR/pip-constraints.txt configured
    mkdir -p "$VAR"
    configured=$("$VENV_PYTHON" -m pip config list 2>/dev/null |
        sed -n "s/^\(global\|install\)\.constraint='\(.*\)'$/\2/p")
    {
        for f in $configured ${PIP_CONSTRAINT:-}; do [[ -f $f ]] && cat "$f"; done
        echo 'setuptools<81'
    } >"$constraints"
    PIP_CONSTRAINT=$constraints "$VENV_PYTHON" -m pip install -q -r "$ODOO_SRC/requirements.txt"
    # compat mode: a plain editable install stops `import odoo` from working
    # as soon as addons installed as wheels (OCA) share the odoo.addons namespace.
    PIP_CONSTRAINT=$constraints "$VENV_PYTHON" -m pip install -q -e "$ODOO_SRC" --config-settings editable_mode=compat
    "$VENV_PYTHON" -c 'import odoo' || die "Odoo was installed but $VENV_PYTHON still cannot import it"
}

# The Python packages of requirements.txt, when one is missing or at another version.
ensure_python_packages() {
    ensure_venv
    local missing
    missing=$("$VENV_PYTHON" - "$ROOT/requirements.txt" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version

try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement

for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    req = Requirement(line)
    try:
        if req.specifier.contains(version(req.name), prereleases=True):
            continue
    except PackageNotFoundError:
        pass
    print(line)
EOF
    )
    [[ -z $missing ]] && return 0
    log "pip: installing ${missing//$'\n'/ }"
    "$VENV_PYTHON" -m pip install -q -r "$ROOT/requirements.txt"
}

# var/odoo.conf: addons path = the addon's folder + Odoo's own addons folders.
write_odoo_conf() {
    local odoo_addons
    odoo_addons=$("$VENV_PYTHON" - <<'EOF'
import os

import odoo.addons

paths = [os.path.realpath(p) for p in odoo.addons.__path__]
# A source checkout keeps most addons beside the odoo package, in <root>/addons.
root_addons = os.path.realpath(os.path.join(os.path.dirname(odoo.__file__), "..", "addons"))
if os.path.isdir(os.path.join(root_addons, "web")) and root_addons not in paths:
    paths.append(root_addons)
print(",".join(paths))
EOF
    )
    mkdir -p "$VAR/log" "$VAR/mail" "$ODOO_DATA_DIR"
    cat >"$ODOO_CONF" <<EOF
; Written by scripts/setup.sh on each run; edit the script, not this file.
[options]
addons_path = $(realpath "$ADDONS_DIR"),$odoo_addons
data_dir = $ODOO_DATA_DIR
; PostgreSQL through its Unix socket, as the current user.
db_host = False
db_port = ${PGPORT:-False}
db_user = False
db_password = False
http_interface = ${HTTP_INTERFACE:-127.0.0.1}
http_port = $HTTP_PORT
; Outgoing mail goes to scripts/smtp_catcher.py, which only writes files.
smtp_server = 127.0.0.1
smtp_port = $SMTP_PORT
smtp_ssl = False
log_level = info
EOF
}

odoo_cmd() { "$VENV_PYTHON" -m odoo "$@"; }

db_exists() {
    [[ $(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'") == 1 ]]
}

db_drop() {
    PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists --force "$1"
    rm -rf "${ODOO_DATA_DIR:?}/filestore/$1"
}

# Copy database $1 to $2, filestore included (without it web assets are missing).
db_copy() {
    db_drop "$2"
    createdb -T "$1" "$2"
    if [[ -d $ODOO_DATA_DIR/filestore/$1 ]]; then
        cp -a "$ODOO_DATA_DIR/filestore/$1" "$ODOO_DATA_DIR/filestore/$2"
    fi
}

# State of module $2 in database $1 (empty when unknown).
module_state() {
    psql -d "$1" -tAc "SELECT state FROM ir_module_module WHERE name = '$2'" 2>/dev/null || true
}

setup_machine() {
    apt_install "${APT_PACKAGES[@]}"
    ensure_postgres
    ensure_venv
    ensure_odoo
    ensure_python_packages
    write_odoo_conf
}

# What `make lint` needs: pre-commit, and Node.js for its prettier hook.
setup_lint() {
    command -v npm >/dev/null || apt_install nodejs npm
    ensure_venv
    ensure_python_packages
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    case ${1:-} in
    --lint) setup_lint ;;
    --python)
        setup_machine
        echo "$VENV_PYTHON"
        ;;
    *)
        setup_machine
        log "ready: $VENV_PYTHON with Odoo $("$VENV_PYTHON" -c 'import odoo.release as r; print(r.version)'), config $ODOO_CONF"
        ;;
    esac
fi
