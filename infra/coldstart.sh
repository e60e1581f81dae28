#!/usr/bin/env bash
# Cold-start benchmark: builds each function's release `bootstrap` for this machine,
# starts moto, and runs every bootstrap against a local stub of the Lambda Runtime
# API (infra/src/bin/coldstart.rs): init time, first-response time, peak RSS.
#
#   bash infra/coldstart.sh [RUNS]        # default 20 runs per function
#
# The figures go in BENCHMARKS.md. Deployed binaries are arm64 builds of the same
# code (`sam build`); these are x86_64 builds with the same release profile.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-20}"

# shellcheck source=infra/moto.sh
source "$ROOT/infra/moto.sh"
ensure_python_tools

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
mapfile -t FUNCTIONS < <(for d in functions/*/; do basename "$d"; done)
log "building release binaries: ${FUNCTIONS[*]}"
# One package at a time, as the Makefile builds them for `sam build`: several -p in one
# cargo run would unify their features and link every function with all of them.
for f in "${FUNCTIONS[@]}"; do cargo build --release -p "$f"; done
cargo build -p lambdapress-infra --bin coldstart

start_moto

# One realistic event per function (infra/lambda_events.py, from the test fixtures).
EVENTS="$(mktemp -d)"
"$VENV/bin/python" infra/lambda_events.py "$ROOT/tests/fixtures" --bench "$EVENTS"

TARGETS=()
for f in "${FUNCTIONS[@]}"; do
    [[ -f "$EVENTS/$f.json" ]] || { log "no benchmark event for $f; skipping it"; continue; }
    TARGETS+=("$f=$TARGET/release/$f:$EVENTS/$f.json")
done
"$TARGET/debug/coldstart" --endpoint "$ENDPOINT" --runs "$RUNS" "${TARGETS[@]}"
rm -rf "$EVENTS"
