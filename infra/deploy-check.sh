#!/usr/bin/env bash
# The deployed artifacts, tested: builds every function's arm64 `bootstrap` the way
# `sam build` does (template.yaml's Metadata: BuildMethod makefile, so the Makefile's
# `build-<LogicalId>`: cargo lambda + zig, --arm64, one package at a time), then
# runs each one under qemu-user against the Lambda Runtime API stub
# (infra/src/bin/coldstart.rs --check) with moto behind it, one fresh process per event:
# an article, its 304 revalidation, the home page, a base64-encoded form POST to
# subscribe and to comment, a JSON signup, an S3 posts/ event, a DynamoDB stream batch,
# the hourly schedule, a newsletter batch from SQS and an SES bounce from SNS. Each
# answer is checked (status, a marker in the body or headers, or in the function's log).
#
#   bash infra/deploy-check.sh             # the Makefile's targets, as `sam build` runs them
#   bash infra/deploy-check.sh --sam       # run `sam build` itself and check .aws-sam/build
#   bash infra/deploy-check.sh --gcc       # no cargo-lambda/zig: Debian's aarch64 gcc links
#   bash infra/deploy-check.sh --no-build  # check the bootstraps the last run built
#
# Too slow for every CI run (a cold arm64 release build with LTO of five functions):
# .github/workflows/deploy-check.yml runs it weekly. Needs root for apt (qemu-user-static,
# gcc-aarch64-linux-gnu, libc6-arm64-cross) unless they are installed; the build tools come
# from PyPI, pinned to the versions .github/workflows/deploy.yml deploys with.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE="${1:---make}"
case "$MODE" in
    --make | --sam | --gcc | --no-build) ;;
    *) echo "usage: $0 [--make | --sam | --gcc | --no-build]" >&2; exit 2 ;;
esac
STARTED=$SECONDS

# shellcheck source=infra/moto.sh
source "$ROOT/infra/moto.sh"
ensure_python_tools

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
TRIPLE=aarch64-unknown-linux-gnu
SYSROOT=/usr/aarch64-linux-gnu
# Amazon Linux 2023 (provided.al2023) has glibc 2.34: a bootstrap needing more cannot start.
AL2023_GLIBC=2.34

# Debian's qemu-user, and the arm64 glibc as the loader prefix (and gcc for --gcc).
need_apt=()
command -v qemu-aarch64-static >/dev/null || need_apt+=(qemu-user-static)
[[ -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ]] || need_apt+=(libc6-arm64-cross)
command -v aarch64-linux-gnu-objdump >/dev/null || need_apt+=(binutils-aarch64-linux-gnu)
if [[ "$MODE" == --gcc ]] && ! command -v aarch64-linux-gnu-gcc >/dev/null; then
    need_apt+=(gcc-aarch64-linux-gnu)
fi
if ((${#need_apt[@]})); then
    [[ $(id -u) -eq 0 ]] || { log "missing: ${need_apt[*]} (apt-get install them as root)"; exit 1; }
    log "installing ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need_apt[@]}"; } >/dev/null
fi

# The functions as the template declares them: logical id, binary, CodeUri, BuildMethod.
mapfile -t FUNCTIONS < <("$VENV/bin/python" - template.yaml <<'PY'
import sys
from cfnlint.decode import cfn_yaml
t = cfn_yaml.loads(open(sys.argv[1], encoding="utf-8").read(), sys.argv[1])
for name, r in t["Resources"].items():
    if r.get("Type") != "AWS::Serverless::Function":
        continue
    meta = r.get("Metadata", {})
    # The package (and binary): BuildProperties.Binary, else SiteFunction -> site.
    binary = meta.get("BuildProperties", {}).get("Binary") or name.removesuffix("Function").lower()
    print(name, binary, r["Properties"].get("CodeUri", "."), meta.get("BuildMethod", ""))
PY
)
((${#FUNCTIONS[@]})) || { log "no functions in template.yaml"; exit 1; }

declare -A BOOTSTRAP
ARTIFACTS="$TARGET/deploy-check"
case "$MODE" in
    --make)
        ensure_build_tools
        for f in "${FUNCTIONS[@]}"; do
            read -r name binary code method <<<"$f"
            mkdir -p "$ARTIFACTS/$name"
            case "$method" in
                # What aws-lambda-builders runs for BuildMethod makefile (in CodeUri).
                makefile) (cd "$code" && make "build-$name" ARTIFACTS_DIR="$ARTIFACTS/$name") ;;
                # ... and for rust-cargolambda, Architectures [arm64].
                rust-cargolambda)
                    (cd "$code" && cargo lambda build --release --arm64 --bin "$binary")
                    cp "$TARGET/lambda/$binary/bootstrap" "$ARTIFACTS/$name/bootstrap" ;;
                *) log "$name: BuildMethod $method is not one this script knows"; exit 1 ;;
            esac
            BOOTSTRAP[$binary]="$ARTIFACTS/$name/bootstrap"
        done
        ;;
    --sam)
        ensure_build_tools
        ensure_sam
        # samconfig.toml's build_in_source: the Makefile runs here, CARGO_TARGET_DIR kept.
        SAM_CLI_TELEMETRY=0 "$SAM" build --template template.yaml
        for f in "${FUNCTIONS[@]}"; do
            read -r name binary _ _ <<<"$f"
            BOOTSTRAP[$binary]="$ROOT/.aws-sam/build/$name/bootstrap"
        done
        ;;
    --gcc)
        # Not sam's toolchain: links against Debian's arm64 glibc with gcc instead of
        # zig's; the glibc check below says whether the result still starts on AL2023.
        export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
        for f in "${FUNCTIONS[@]}"; do
            read -r name binary code _ <<<"$f"
            log "$name: cargo build --release --target $TRIPLE -p $binary (gcc linker)"
            (cd "$code" && cargo build --release --target "$TRIPLE" -p "$binary" \
                --config 'build.rustflags=["-C", "target-cpu=neoverse-n1"]')
            BOOTSTRAP[$binary]="$TARGET/$TRIPLE/release/$binary"
        done
        ;;
    --no-build)
        for f in "${FUNCTIONS[@]}"; do
            read -r name binary _ _ <<<"$f"
            BOOTSTRAP[$binary]="$ARTIFACTS/$name/bootstrap"
        done
        ;;
esac
BUILT=$SECONDS

# Each bootstrap: an arm64 ELF, its size, and no glibc symbol newer than AL2023's.
status=0
printf '| function | arm64 bootstrap | newest glibc symbol |\n| --- | ---: | --- |\n'
SPECS=()
for f in "${FUNCTIONS[@]}"; do
    read -r name binary _ _ <<<"$f"
    bin="${BOOTSTRAP[$binary]}"
    [[ -f "$bin" ]] || { log "$name: no bootstrap at $bin"; exit 1; }
    file -b "$bin" | grep -q 'ARM aarch64' || { log "$name: $bin is not an arm64 ELF"; status=1; }
    glibc="$(aarch64-linux-gnu-objdump -T "$bin" | grep -Po 'GLIBC_\K[0-9.]+' | sort -V | tail -1)"
    if [[ "$(printf '%s\n%s\n' "$glibc" "$AL2023_GLIBC" | sort -V | tail -1)" != "$AL2023_GLIBC" ]]; then
        log "$name: needs glibc $glibc, AL2023 has $AL2023_GLIBC"
        status=1
    fi
    awk -v n="$binary" -v b="$(stat -c %s "$bin")" -v g="$glibc" \
        'BEGIN { printf "| %s | %d (%.2f MiB) | %s |\n", n, b, b / 1048576, g }'
    SPECS+=("$binary=$bin")
done

cargo build -q -p lambdapress-infra --bin coldstart
start_moto

# The events (infra/lambda_events.py), built from the test fixtures.
CASES="$(mktemp -d)"
"$VENV/bin/python" infra/lambda_events.py "$ROOT/tests/fixtures" >"$CASES/cases.json"

log "running each bootstrap under qemu-aarch64-static"
if ! "$TARGET/debug/coldstart" --endpoint "$ENDPOINT" --check "$CASES/cases.json" \
    --wrapper "qemu-aarch64-static -L $SYSROOT" --logs "$CASES/logs" "${SPECS[@]}"; then
    status=1
fi
rm -rf "$CASES"
log "build $((BUILT - STARTED)) s, checks $((SECONDS - BUILT)) s, total $((SECONDS - STARTED)) s"
exit "$status"
