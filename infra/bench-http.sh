#!/usr/bin/env bash
# Side by side: the release local site and nginx serving a snapshot of the same bytes,
# the same wrk command against both; writes the table to BENCHMARKS.md (between the
# "bench-http" markers). Usage: bash infra/bench-http.sh [seconds per run, default 10]
# Installs nginx and wrk (Debian packages) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-10}"
CONNECTIONS=16
THREADS=2
log() { printf 'bench-http: %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    log "installing nginx and wrk"
    apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nginx wrk
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
[[ -n "${LAMBDAPRESS_BIN:-}" ]] || cargo build --release -p lambdapress-infra --bin lambdapress
BIN="${LAMBDAPRESS_BIN:-$CARGO_TARGET_DIR/release/lambdapress}"

SCRATCH="$(mktemp -d)"
SITE_PID=""
NGINX_PID=""
cleanup() {
    [[ -n "$SITE_PID" ]] && kill "$SITE_PID" 2>/dev/null || true
    [[ -n "$NGINX_PID" ]] && kill "$NGINX_PID" 2>/dev/null || true
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SITE_PORT="$(free_port)"
NGINX_PORT="$(free_port)"

# The local site, as `lambdapress serve` runs it (no request logs: RUST_LOG=warn).
RUST_LOG=warn LAMBDAPRESS_ADDR="127.0.0.1:$SITE_PORT" LAMBDAPRESS_DATA_DIR="$SCRATCH/data" \
    "$BIN" serve >"$SCRATCH/site.log" 2>&1 &
SITE_PID=$!
SITE="http://127.0.0.1:$SITE_PORT"
for _ in $(seq 100); do curl -fsS -o /dev/null "$SITE/" 2>/dev/null && break; sleep 0.1; done

ARTICLE=/posts/what-are-muscle-knots
FEED=/feed.xml
# The snapshot: the very bytes the site answers (identity coding, as wrk asks).
mkdir -p "$SCRATCH/www/posts"
curl -fsS "$SITE$ARTICLE" -o "$SCRATCH/www$ARTICLE"
curl -fsS "$SITE$FEED" -o "$SCRATCH/www$FEED"
cat >"$SCRATCH/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $SCRATCH/nginx.pid;
error_log $SCRATCH/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    default_type text/html;
    types { application/rss+xml xml; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $SCRATCH/www;
    }
}
NGINX
nginx -c "$SCRATCH/nginx.conf" -p "$SCRATCH" &
NGINX_PID=$!
NGINX="http://127.0.0.1:$NGINX_PORT"
for _ in $(seq 50); do curl -fsS -o /dev/null "$NGINX$ARTICLE" 2>/dev/null && break; sleep 0.1; done
cmp <(curl -fsS "$SITE$ARTICLE") "$SCRATCH/www$ARTICLE" || log "note: the article changed since the snapshot"

rate() { # url [wrk args...] -> requests/s
    local url="$1"; shift
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "$@" "$url" | tee -a "$SCRATCH/wrk.log" \
        | awk '/Requests\/sec/ {printf "%d", $2}'
}

log "article: lambdapress"; A_SITE=$(rate "$SITE$ARTICLE")
log "article: nginx"; A_NGINX=$(rate "$NGINX$ARTICLE")
log "feed: lambdapress"; F_SITE=$(rate "$SITE$FEED")
log "feed: nginx"; F_NGINX=$(rate "$NGINX$FEED")

# Comment POSTs: each a new comment (a counter in the body). All come from 127.0.0.1,
# so the per-visitor throttle answers most with 429; both counts are reported.
cat >"$SCRATCH/post.lua" <<'LUA'
local n = 0
request = function()
    n = n + 1
    local body = "name=Bench&email=bench%40example.com&body=Comment+number+" .. n .. "+" .. math.random(1e9)
    return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
LUA
log "comment POST: lambdapress"
C_OUT=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$SCRATCH/post.lua" "$SITE$ARTICLE/comments")
echo "$C_OUT" >>"$SCRATCH/wrk.log"
C_ALL=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$C_OUT")
C_NON=$(awk '/Non-2xx or 3xx/ {print $5}' <<<"$C_OUT")
C_NON="${C_NON:-0}"
C_TOTAL=$(awk '/requests in/ {print $1}' <<<"$C_OUT")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }'; }
TABLE=$(cat <<MD
<!-- bench-http:start -->
\`bash infra/bench-http.sh $SECONDS_PER_RUN\` on $(nproc) cores, $(date -u +%Y-%m-%d): \`wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s\`,
the release local site (\`lambdapress serve\`) and nginx $(nginx -v 2>&1 | sed 's/.*\///') serving a snapshot of the same bytes.

| what | lambdapress | nginx (same bytes) | ratio | goal |
| --- | ---: | ---: | ---: | ---: |
| article page, $CONNECTIONS connections | $A_SITE req/s | $A_NGINX req/s | $(ratio "$A_SITE" "$A_NGINX") | ≥ 0.5× |
| posts feed (a stored object) | $F_SITE req/s | $F_NGINX req/s | $(ratio "$F_SITE" "$F_NGINX") | ≥ 0.8× |
| comment POST (all answers) | $C_ALL req/s | — | — | — |

Comment POSTs: $C_TOTAL requests, $C_NON answered other than 2xx/3xx (the per-visitor
throttle's 429: every request comes from 127.0.0.1).
<!-- bench-http:end -->
MD
)
echo "$TABLE"
python3 - "$TABLE" <<'PY'
import re, sys
table = sys.argv[1]
path = "BENCHMARKS.md"
text = open(path).read()
if "<!-- bench-http:start -->" in text:
    text = re.sub(r"<!-- bench-http:start -->.*?<!-- bench-http:end -->", lambda _: table, text, flags=re.S)
else:
    text += "\n" + table + "\n"
open(path, "w").write(text)
PY
