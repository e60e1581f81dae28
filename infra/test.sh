#!/usr/bin/env bash
# Runs every test: the Rust workspace's tests (the AWS adapters against moto's
# server on 127.0.0.1) and cfn-lint on the SAM template.
#
#   bash infra/test.sh                  # from any directory
#   bash infra/test.sh -- --nocapture   # extra arguments go to `cargo test`
#
# Needs python3 (3.11+) with venv or pip, and the Rust toolchain. Python tools
# (moto server, cfn-lint, feedparser) are installed once into a venv at
# $LAMBDAPRESS_VENV (default ~/.cache/lambdapress/venv) and reused afterwards.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="${LAMBDAPRESS_VENV:-$HOME/.cache/lambdapress/venv}"
# Bump these together with the import check below when a tool is added.
REQUIREMENTS=('moto[server]>=5.1,<6' 'cfn-lint>=1,<2' 'feedparser>=6,<7')
STAMP="$VENV/.lambdapress-requirements"

log() { printf 'test.sh: %s\n' "$*" >&2; }

venv_ok() {
    [[ -x "$VENV/bin/python" ]] \
        && [[ -f "$STAMP" ]] \
        && [[ "$(cat "$STAMP")" == "${REQUIREMENTS[*]}" ]] \
        && "$VENV/bin/python" -c 'import moto, moto.server, flask, cfnlint, feedparser' 2>/dev/null \
        && [[ -x "$VENV/bin/moto_server" && -x "$VENV/bin/cfn-lint" ]]
}

if ! venv_ok; then
    log "setting up Python tools in $VENV"
    if ! "$VENV/bin/python" -c '' 2>/dev/null; then
        rm -rf "$VENV"
        mkdir -p "$(dirname "$VENV")"
        # Debian ships venv's ensurepip separately (python3-venv); without it,
        # make a pip-less venv and install pip into it with the system pip.
        if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
            rm -rf "$VENV"
            python3 -m venv --without-pip "$VENV"
            python3 -m pip --python "$VENV/bin/python" install -q \
                --disable-pip-version-check pip
        fi
    fi
    PIP_NO_INPUT=1 "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        "${REQUIREMENTS[@]}"
    printf '%s' "${REQUIREMENTS[*]}" >"$STAMP"
    venv_ok || { log "Python tools did not install correctly in $VENV"; exit 1; }
fi
export PATH="$VENV/bin:$PATH"

# A free port on the loopback interface for moto's server.
PORT="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
MOTO_LOG="$(mktemp "${TMPDIR:-/tmp}/lambdapress-moto.XXXXXX")"
MOTO_PID=""

# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    if [[ -n "$MOTO_PID" ]] && kill -0 "$MOTO_PID" 2>/dev/null; then
        kill "$MOTO_PID" 2>/dev/null || true
        wait "$MOTO_PID" 2>/dev/null || true
    fi
    rm -f "$MOTO_LOG"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$MOTO_LOG" 2>&1 </dev/null &
MOTO_PID=$!

ENDPOINT="http://127.0.0.1:$PORT"
moto_up() {
    "$VENV/bin/python" - "$ENDPOINT/moto-api/" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2).read()
PY
}
deadline=$((SECONDS + 30))
until moto_up; do
    if ! kill -0 "$MOTO_PID" 2>/dev/null || ((SECONDS >= deadline)); then
        log "moto server did not come up on $ENDPOINT; its log:"
        cat "$MOTO_LOG" >&2
        exit 1
    fi
    sleep 0.2
done
log "moto $("$VENV/bin/python" -c 'import moto; print(moto.__version__)') listening on $ENDPOINT"

export LAMBDAPRESS_TEST_AWS_ENDPOINT="$ENDPOINT"
export LAMBDAPRESS_REQUIRE_MOTO=1
# The real feed client the feed tests parse every feed with.
export LAMBDAPRESS_PYTHON="$VENV/bin/python"
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1

status=0
cargo test --workspace --all-targets "$@" || status=$?
if ((status != 0)); then
    log "cargo test failed (exit $status); the moto server's log:"
    tail -n 50 "$MOTO_LOG" >&2 || true
fi

lint=0
cfn-lint template.yaml || lint=$?
if ((lint != 0)); then
    log "cfn-lint template.yaml failed (exit $lint)"
    status=1
fi

exit "$status"
