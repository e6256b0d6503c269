#!/usr/bin/env bash
# The test command: every crate's unit, integration and doc tests (which build the
# examples), then the examples that run in seconds, then the Python package's tests and
# notebooks (scripts/python.sh), then one summary line.
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
# the Python package: pytest's last line ("N passed, M failed, K skipped in …") is counted
# with the rest; each notebook run prints "notebook NAME ... ok (N s)"
bash scripts/python.sh 2>&1 | tee "$log.python" || status=1
notebooks=$(grep -cE '^notebook .* ok \([0-9.]+ s\)' "$log.python" || true)
grep -E '^(=+ )?[0-9]+ (passed|failed|skipped)|^(=+ )?[0-9]+ failed' "$log.python" | tail -1 |
    sed -E 's/=//g; s/ in [0-9.]+s.*//; s/, /\n/g' |
    awk '{ print "test result: python. " $1 " " $2 ";" }' >> "$log"
rm -f "$log.python"
awk -v ex="$examples" -v nb="$notebooks" '/^test result:/ { for (i = 1; i <= NF; i++) { v = $(i+1); sub(/;$/, "", v); if (v ~ /^passed/) p += $i; if (v ~ /^failed/) f += $i; if (v ~ /^(ignored|skipped)/) s += $i } }
     END { printf "summary: %d passed, %d failed, %d skipped; %d examples run; %d notebooks run\n", p, f, s, ex, nb }' "$log"
exit "$status"
