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
PACKAGES=()
for f in "${FUNCTIONS[@]}"; do PACKAGES+=(-p "$f"); done
cargo build --release "${PACKAGES[@]}"
cargo build -p lambdapress-infra --bin coldstart

start_moto

# One realistic event per function, from the test fixtures.
EVENTS="$(mktemp -d)"
"$VENV/bin/python" - "$ROOT/tests/fixtures" "$EVENTS" <<'PY'
import json, pathlib, sys
fixtures, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
v2 = json.loads((fixtures / "apigw-v2-http-api-get.json").read_text())
def http(method, path, body=None, ctype=None):
    e = json.loads(json.dumps(v2))
    e["requestContext"]["http"]["sourceIp"] = "198.51.100.{{run}}"
    e["rawPath"] = path
    e["routeKey"] = f"{method} {path}"
    e["requestContext"]["http"]["method"] = method
    e["requestContext"]["http"]["path"] = path
    if body is not None:
        e["body"] = body
        e["headers"]["content-type"] = ctype
    return e
events = {
    "site": http("GET", "/posts/what-are-muscle-knots"),
    "subscribe": http("POST", "/subscribe", '{"email":"reader{{run}}@example.com","source":"/"}', "application/json"),
    "comment": http("POST", "/posts/what-are-muscle-knots/comments",
                    '{"name":"Ann","email":"ann{{run}}@example.com","body":"Thank you! ({{run}})"}', "application/json"),
    "feeds": json.loads((fixtures / "s3-object-created.json").read_text()),
}
for name, event in events.items():
    (out / f"{name}.json").write_text(json.dumps(event))
PY

TARGETS=()
for f in "${FUNCTIONS[@]}"; do
    [[ -f "$EVENTS/$f.json" ]] || { log "no benchmark event for $f; skipping it"; continue; }
    TARGETS+=("$f=$TARGET/release/$f:$EVENTS/$f.json")
done
"$TARGET/debug/coldstart" --endpoint "$ENDPOINT" --runs "$RUNS" "${TARGETS[@]}"
rm -rf "$EVENTS"
