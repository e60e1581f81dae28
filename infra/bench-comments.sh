#!/usr/bin/env bash
# Comment POSTs side by side: the release local site and Isso under gunicorn, each
# with every comment held for moderation and its per-visitor limit on, driven by the
# same wrk script (a new visitor, address and email for every POST). Prints the table
# for BENCHMARKS.md ("comment POST vs Isso").
#
#   bash infra/bench-comments.sh [seconds per run, default 10]
#
# Installs wrk (Debian) when missing, and Isso and gunicorn from PyPI into a venv at
# $LAMBDAPRESS_ISSO_VENV (default ~/.cache/lambdapress/isso-venv). Set LAMBDAPRESS_BIN
# to a built `lambdapress` binary to skip the release build.
#
# Every request comes from 127.0.0.1, and both servers limit comments per visitor
# (lambdapress: one per `flood_seconds` per address and per email; Isso: `ratelimit`
# per minute per /24). Neither limit is weakened: both servers are told to trust
# `X-Forwarded-For` as from a reverse proxy (lambdapress: LAMBDAPRESS_TRUST_FORWARDED_FOR=1,
# a local-runner option that is off by default; Isso: `trusted-proxies = 127.0.0.1`),
# and the script gives each POST its own address there.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-10}"
CONNECTIONS=16
THREADS=2
ISSO_VERSION=0.14.0
GUNICORN_VERSION=27.0.1
log() { printf 'bench-comments: %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null; then
    log "installing wrk"
    apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends wrk
fi
ISSO_VENV="${LAMBDAPRESS_ISSO_VENV:-$HOME/.cache/lambdapress/isso-venv}"
if ! "$ISSO_VENV/bin/python" -c "import isso, gunicorn" 2>/dev/null; then
    log "installing isso $ISSO_VERSION and gunicorn $GUNICORN_VERSION into $ISSO_VENV"
    python3 -m venv "$ISSO_VENV"
    "$ISSO_VENV/bin/pip" install -q "isso==$ISSO_VERSION" "gunicorn==$GUNICORN_VERSION"
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
[[ -n "${LAMBDAPRESS_BIN:-}" ]] || cargo build --release -p lambdapress-infra --bin lambdapress
BIN="${LAMBDAPRESS_BIN:-$CARGO_TARGET_DIR/release/lambdapress}"

SCRATCH="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SITE_PORT="$(free_port)"
ISSO_PORT="$(free_port)"
ARTICLE=/posts/what-are-muscle-knots

# The local site with the sample content: `moderation = "all"` (the default: every
# comment waits for the owner) and `flood_seconds = 15`; no OWNER_EMAIL, so no mail.
RUST_LOG=warn LAMBDAPRESS_TRUST_FORWARDED_FOR=1 LAMBDAPRESS_ADDR="127.0.0.1:$SITE_PORT" \
    LAMBDAPRESS_DATA_DIR="$SCRATCH/data" "$BIN" serve >"$SCRATCH/site.log" 2>&1 &
PIDS+=($!)
SITE="http://127.0.0.1:$SITE_PORT"

# Isso as its docs deploy it: gunicorn, one sync worker per core, SQLite; moderation
# on (every comment waits), its guard on with the default limits, no mail.
cat >"$SCRATCH/isso.cfg" <<CFG
[general]
dbpath = $SCRATCH/isso.db
host = $SITE
notify = stdout
[moderation]
enabled = true
[server]
listen = http://127.0.0.1:$ISSO_PORT
trusted-proxies = 127.0.0.1
[guard]
enabled = true
ratelimit = 2
direct-reply = 3
require-author = true
require-email = true
CFG
ISSO_SETTINGS="$SCRATCH/isso.cfg" "$ISSO_VENV/bin/gunicorn" --chdir "$SCRATCH" \
    -b "127.0.0.1:$ISSO_PORT" -w "$(nproc)" --log-level warning isso.run:application \
    >"$SCRATCH/isso.log" 2>&1 &
PIDS+=($!)
ISSO="http://127.0.0.1:$ISSO_PORT"

for _ in $(seq 100); do curl -fsS -o /dev/null "$SITE/" 2>/dev/null && break; sleep 0.1; done
for _ in $(seq 100); do curl -sS -o /dev/null "$ISSO/info" 2>/dev/null && break; sleep 0.1; done

# One script for both: each POST a new visitor (address, email) with a new text. The
# counter fills the first three octets (Isso counts a /24), the thread the last.
cat >"$SCRATCH/visitors.lua" <<'LUA'
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
end
local n = 0
function visitor()
    n = n + 1
    local address = string.format("%d.%d.%d.%d", 11 + math.floor(n / 65536) % 200,
        math.floor(n / 256) % 256, n % 256, tid)
    return address, string.format("v%d-%d@example.com", tid, n),
        string.format("Comment %d from thread %d: the needles did help.", n, tid)
end
LUA
cat "$SCRATCH/visitors.lua" - >"$SCRATCH/lambdapress.lua" <<'LUA'
request = function()
    local address, email, text = visitor()
    local body = "name=Bench+Visitor&email=" .. email:gsub("@", "%%40") .. "&body=" .. text:gsub(" ", "+")
    return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Forwarded-For"] = address}, body)
end
LUA
cat "$SCRATCH/visitors.lua" - >"$SCRATCH/isso.lua" <<'LUA'
request = function()
    local address, email, text = visitor()
    local body = string.format('{"text": "%s", "author": "Bench Visitor", "email": "%s", "title": "What Are Muscle Knots"}', text, email)
    return wrk.format("POST", nil, {["Content-Type"] = "application/json",
        ["X-Forwarded-For"] = address}, body)
end
LUA

# One POST each first: both must accept (and hold) a comment, or the run means nothing.
curl -fsS -o /dev/null -w '%{http_code}' -X POST -H 'X-Forwarded-For: 10.0.0.1' \
    --data 'name=Check&email=check%40example.com&body=First' "$SITE$ARTICLE/comments" | grep -q 303 \
    || { log "the local site did not hold a comment"; cat "$SCRATCH/site.log" >&2; exit 1; }
curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H 'X-Forwarded-For: 10.0.0.1' \
    --data '{"text": "First", "author": "Check", "email": "check@example.com", "title": "What Are Muscle Knots"}' \
    "$ISSO/new?uri=%2Fposts%2Fwhat-are-muscle-knots" | grep -q 202 \
    || { log "Isso did not hold a comment"; cat "$SCRATCH/isso.log" >&2; exit 1; }

run() { # name url script -> "req/s non2xx3xx total"
    local out
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$3" "$2")
    printf '%s\n%s\n' "== $1" "$out" >>"$SCRATCH/wrk.log"
    awk '/Requests\/sec/ {r=$2} /Non-2xx or 3xx/ {e=$5} /requests in/ {t=$1} END {printf "%d %d %d", r, e+0, t}' <<<"$out"
}
log "comment POST: lambdapress"
read -r L_RATE L_BAD L_TOTAL <<<"$(run lambdapress "$SITE$ARTICLE/comments" "$SCRATCH/lambdapress.lua")"
log "comment POST: isso"
read -r I_RATE I_BAD I_TOTAL <<<"$(run isso "$ISSO/new?uri=%2Fposts%2Fwhat-are-muscle-knots" "$SCRATCH/isso.lua")"
cat "$SCRATCH/wrk.log" >&2

# What each store holds afterwards: every POST that was answered 2xx/3xx is a comment.
L_STORED=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from comments").fetchone()[0])' "$SCRATCH/data/lambdapress.sqlite")
I_STORED=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from comments").fetchone()[0])' "$SCRATCH/isso.db")
RATIO=$(awk -v a="$L_RATE" -v b="$I_RATE" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "n/a" }')
cat <<MD
\`bash infra/bench-comments.sh $SECONDS_PER_RUN\` on $(nproc) cores, $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg): \`wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s\`, a new visitor per POST.

| comment POST (held for moderation) | req/s | not 2xx/3xx | comments stored |
| --- | ---: | ---: | ---: |
| lambdapress (release local site, SQLite) | $L_RATE | $L_BAD of $L_TOTAL | $L_STORED |
| Isso $ISSO_VERSION, gunicorn $GUNICORN_VERSION, $(nproc) workers | $I_RATE | $I_BAD of $I_TOTAL | $I_STORED |
| ratio | $RATIO | | |
MD
