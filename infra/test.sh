#!/usr/bin/env bash
# Runs every test: the Rust workspace's tests (the AWS adapters against moto's
# server on 127.0.0.1, pages in headless Chromium), then cfn-lint,
# `sam validate --lint`, infra/check_template.py and checkov on the SAM template.
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

# shellcheck source=infra/moto.sh
source "$ROOT/infra/moto.sh"
ensure_python_tools
export PATH="$VENV/bin:$PATH"

# Headless Chromium for the browser tests (Debian's packages; needs root to install).
if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing chromium and chromium-driver for the browser tests"
        export DEBIAN_FRONTEND=noninteractive
        # Waits for a dpkg lock another apt (a first boot's upgrades, a build) holds.
        { apt-get -o DPkg::Lock::Timeout=600 update -qq \
            && apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium chromium-driver; } >/dev/null \
            || log "could not install chromium; the browser tests will say why"
    else
        log "chromium/chromedriver missing: browser tests will be skipped (apt-get install chromium chromium-driver)"
    fi
fi
# node runs the CloudFront functions of template.yaml (tests/cdn_media.rs).
if ! command -v node >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing nodejs for the CloudFront function tests"
        export DEBIAN_FRONTEND=noninteractive
        { apt-get -o DPkg::Lock::Timeout=600 update -qq \
            && apt-get -o DPkg::Lock::Timeout=600 install -y -qq nodejs; } >/dev/null \
            || log "could not install nodejs; the CloudFront function tests will say why"
    else
        log "node missing: the CloudFront function tests will be skipped (apt-get install nodejs)"
    fi
fi
# In CI a missing browser, node or moto is a failure, never a silent skip.
if [[ "${CI:-}" == "true" ]]; then
    export LAMBDAPRESS_REQUIRE_BROWSER=1
    export LAMBDAPRESS_REQUIRE_NODE=1
fi

start_moto

export LAMBDAPRESS_TEST_AWS_ENDPOINT="$ENDPOINT"
export LAMBDAPRESS_REQUIRE_MOTO=1
# The real feed client the feed tests parse every feed with.
export LAMBDAPRESS_PYTHON="$VENV/bin/python"
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1

status=0
CARGO_LOG="$(mktemp "${TMPDIR:-/tmp}/lambdapress-cargo-test.XXXXXX")"
set +e
cargo test --workspace --all-targets --no-fail-fast "$@" 2>&1 | tee "$CARGO_LOG"
status=${PIPESTATUS[0]}
set -e
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
ensure_sam
if ! SAM_CLI_TELEMETRY=0 "$SAM" validate --lint --template template.yaml --region us-east-1 >/dev/null 2>"$MOTO_LOG.sam"; then
    log "sam validate --lint failed:"
    cat "$MOTO_LOG.sam" >&2
    status=1
fi
rm -f "$MOTO_LOG.sam"
# Facts the linters cannot know: documented managed policy IDs, Host never forwarded.
if ! "$VENV/bin/python" infra/check_template.py template.yaml; then
    log "infra/check_template.py failed"
    status=1
fi
# Security policy check; every skip is justified in place (Metadata.checkov.skip).
ensure_checkov
if ! "$CHECKOV" -f template.yaml --framework cloudformation --compact --quiet \
    --skip-download >"$MOTO_LOG.checkov" 2>&1; then
    log "checkov failed:"
    cat "$MOTO_LOG.checkov" >&2
    status=1
fi
rm -f "$MOTO_LOG.checkov"

# One closing line for the whole run: the sum over every test binary.
passed=$(grep -Eo '[0-9]+ passed' "$CARGO_LOG" | awk '{s += $1} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$CARGO_LOG" | awk '{s += $1} END {print s + 0}')
rm -f "$CARGO_LOG"
echo "tests: $passed passed, $failed failed"
exit "$status"
