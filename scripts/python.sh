#!/usr/bin/env bash
# The Python package: a virtual environment under /var/tmp (made once, reused), the
# extension built into it (`maturin develop`: the workspace's target folder and its debug
# profile, so the crates built by `cargo test` are reused), then its tests (pytest) and the
# notebooks (stored without outputs, and each executed: a failing cell fails the run).
#
#   bash scripts/python.sh            # build, test, run the notebooks
#   bash scripts/python.sh --release  # the same with an optimised build (benchmarks)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TERRAWATT_VENV:-/var/tmp/terrawatt-venv}"
profile=()
[ "${1:-}" = "--release" ] && profile=(--release)

if ! "$venv/bin/python" -c "import maturin, pytest, numpy, pandas, pyarrow, polars, nbclient, ipykernel, matplotlib" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q "maturin>=1.9,<2" pytest numpy "pandas>=2.2" "pyarrow>=14" \
        "polars>=1.0" nbclient ipykernel matplotlib
fi
export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH"
maturin develop --quiet -m crates/python/Cargo.toml "${profile[@]}"

# the command line the tests compare with: the one `cargo test` built
target="$(cargo metadata --format-version 1 --no-deps --locked | sed 's/.*"target_directory":"\([^"]*\)".*/\1/')"
export TERRAWATT_BIN="${TERRAWATT_BIN:-$target/debug/terrawatt}"
[ -x "$TERRAWATT_BIN" ] || cargo build --locked --quiet --bin terrawatt

status=0
python -m pytest -q crates/python/tests || status=$?
if [ -d notebooks ]; then
    python scripts/run_notebooks.py --check-stripped notebooks || status=1
    python scripts/run_notebooks.py notebooks || status=1
fi
exit "$status"
