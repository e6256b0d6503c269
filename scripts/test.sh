#!/usr/bin/env bash
# The test command: every crate's unit, integration and doc tests (which build the
# examples), then the examples that run in seconds, then one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked "$@" 2>&1 | tee "$log" || status=$?
# the library's examples, each a program of its own (examples/README.md): the binaries the
# tests just built (a `cargo run` of one package would resolve other features and rebuild)
examples=0
bin="$(cargo metadata --format-version 1 --no-deps --locked | sed 's/.*"target_directory":"\([^"]*\)".*/\1/')/debug/examples"
for e in $(sed -n 's/^| `\([a-z_]*\)` | fast |.*/\1/p' examples/README.md); do
    if "$bin/$e" >/dev/null 2>"$log.example"; then
        echo "example $e ... ok"
        examples=$((examples + 1))
    else
        echo "example $e ... FAILED"
        cat "$log.example"
        status=1
    fi
done
rm -f "$log.example"
awk -v ex="$examples" '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "summary: %d passed, %d failed, %d skipped; %d examples run\n", p, f, s, ex }' "$log"
exit "$status"
