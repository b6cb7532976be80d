#!/usr/bin/env bash
# Builds the reference portal (cloison-fixtures) as a static glibc binary and packs it into a
# `FROM scratch` image tagged cloison-portal:dev. Needs no registry: nothing is pulled. Idempotent.
#
#   scripts/build-portal-image.sh            # or PORTAL_IMAGE=name:tag scripts/build-portal-image.sh
#
# The explicit --target keeps RUSTFLAGS (crt-static) off build scripts and proc macros.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-unknown-linux-gnu
IMAGE="${PORTAL_IMAGE:-cloison-portal:dev}"
BIN="${CARGO_TARGET_DIR:-target}/$TARGET/release/cloison-portal"

RUSTFLAGS='-C target-feature=+crt-static' \
  cargo build --release --locked --target "$TARGET" -p cloison-fixtures --bin cloison-portal

if ldd "$BIN" 2>&1 | grep -q '=>'; then
  echo "error: $BIN is dynamically linked; a FROM scratch image needs a static binary" >&2
  exit 1
fi

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
# Debug line tables stay in target/; the image gets a stripped copy when strip is available.
strip -o "$context/cloison-portal" "$BIN" 2>/dev/null || cp "$BIN" "$context/cloison-portal"
cp fixtures/Dockerfile "$context/Dockerfile"
docker build --quiet --tag "$IMAGE" "$context" >/dev/null
echo "built $IMAGE ($(du -h "$context/cloison-portal" | cut -f1) static binary)"
