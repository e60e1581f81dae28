# Shared by infra/test.sh and infra/coldstart.sh: the Python tools in a venv, and
# moto's server on a free port of 127.0.0.1. Source it; it defines functions only.
# shellcheck shell=bash

VENV="${LAMBDAPRESS_VENV:-$HOME/.cache/lambdapress/venv}"
# Bump these together with the import check below when a tool is added.
REQUIREMENTS=('moto[server]>=5.1,<6' 'cfn-lint>=1,<2' 'feedparser>=6,<7')
STAMP="$VENV/.lambdapress-requirements"
MOTO_PID=""
MOTO_LOG=""

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

venv_ok() {
    [[ -x "$VENV/bin/python" ]] \
        && [[ -f "$STAMP" ]] \
        && [[ "$(cat "$STAMP")" == "${REQUIREMENTS[*]}" ]] \
        && "$VENV/bin/python" -c 'import moto, moto.server, flask, cfnlint, feedparser' 2>/dev/null \
        && [[ -x "$VENV/bin/moto_server" && -x "$VENV/bin/cfn-lint" ]]
}

# Installs the Python tools once; later runs only check them.
ensure_python_tools() {
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
}

# A venv of its own at $1 with the pip requirements that follow (tools whose pins clash).
venv_install() {
    local dir="$1"
    shift
    rm -rf "$dir"
    python3 -m venv "$dir" >/dev/null 2>&1 || {
        rm -rf "$dir"
        python3 -m venv --without-pip "$dir"
        python3 -m pip --python "$dir/bin/python" install -q --disable-pip-version-check pip
    }
    PIP_NO_INPUT=1 "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@"
}

# The SAM CLI, in a venv of its own: it pins botocore versions that moto may not share.
# Sets SAM to its path. `sam validate --lint` needs only a region and dummy credentials.
SAM_VENV="${LAMBDAPRESS_SAM_VENV:-$HOME/.cache/lambdapress/sam-venv}"
ensure_sam() {
    SAM="$SAM_VENV/bin/sam"
    if ! "$SAM" --version >/dev/null 2>&1; then
        log "installing the SAM CLI in $SAM_VENV"
        venv_install "$SAM_VENV" 'aws-sam-cli>=1.130,<2'
    fi
}

# checkov (the template's policy check), in a venv of its own: its pins clash with moto's.
# Sets CHECKOV to its path.
CHECKOV_VENV="${LAMBDAPRESS_CHECKOV_VENV:-$HOME/.cache/lambdapress/checkov-venv}"
ensure_checkov() {
    CHECKOV="$CHECKOV_VENV/bin/checkov"
    if ! "$CHECKOV" --version >/dev/null 2>&1; then
        log "installing checkov in $CHECKOV_VENV"
        venv_install "$CHECKOV_VENV" 'checkov>=3.2,<4'
    fi
}

# cargo-lambda and zig (what `sam build` runs, through the Makefile), pinned to the
# versions .github/workflows/deploy.yml deploys with; on PATH afterwards.
BUILD_VENV="${LAMBDAPRESS_BUILD_VENV:-$HOME/.cache/lambdapress/build-venv}"
ensure_build_tools() {
    local pins lambda_v zig_v
    pins="$(dirname "${BASH_SOURCE[0]}")/../.github/workflows/deploy.yml"
    lambda_v="$(grep -Po 'CARGO_LAMBDA_VERSION: "\K[^"]+' "$pins")"
    zig_v="$(grep -Po 'ZIG_VERSION: "\K[^"]+' "$pins")"
    if ! "$BUILD_VENV/bin/cargo-lambda" lambda --version 2>/dev/null | grep -q " $lambda_v "; then
        log "installing cargo-lambda $lambda_v and ziglang $zig_v in $BUILD_VENV"
        venv_install "$BUILD_VENV" "cargo-lambda==$lambda_v" "ziglang==$zig_v"
    fi
    # cargo-lambda finds zig as `python3 -m ziglang` in this venv.
    export PATH="$BUILD_VENV/bin:$PATH"
}

# shellcheck disable=SC2317  # called through the EXIT trap
stop_moto() {
    if [[ -n "$MOTO_PID" ]] && kill -0 "$MOTO_PID" 2>/dev/null; then
        kill "$MOTO_PID" 2>/dev/null || true
        wait "$MOTO_PID" 2>/dev/null || true
    fi
    rm -f "$MOTO_LOG"
}

# Starts moto on a free loopback port; sets ENDPOINT. Stopped on exit.
start_moto() {
    # A free port on the loopback interface for moto's server.
    PORT="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    MOTO_LOG="$(mktemp "${TMPDIR:-/tmp}/lambdapress-moto.XXXXXX")"
    trap stop_moto EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$MOTO_LOG" 2>&1 </dev/null &
    MOTO_PID=$!

    ENDPOINT="http://127.0.0.1:$PORT"
    moto_up() {
        "$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()' \
            "$ENDPOINT/moto-api/" 2>/dev/null
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
}
