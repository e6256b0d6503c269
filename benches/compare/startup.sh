#!/usr/bin/env bash
# Start-up cost of the terrawatt binary: the median of 15 runs of `--version` (process start,
# the dynamic loader binding GDAL's libraries) and of `energy regions` (that, plus meter
# detection, a small command and the energy line).
# Usage: benches/compare/startup.sh [path/to/terrawatt]
set -euo pipefail
bin=${1:-${CARGO_TARGET_DIR:-target}/release/terrawatt}
python3 - "$bin" <<'PY'
import subprocess, sys, time
b = sys.argv[1]
for args in (["--version"], ["energy", "regions"]):
    ts = []
    for _ in range(15):
        t = time.perf_counter()
        subprocess.run([b] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        ts.append(time.perf_counter() - t)
    ts.sort()
    print(f"{' '.join(args):<16} median {ts[7] * 1000:.1f} ms")
PY
echo "libraries loaded: $(ldd "$bin" | wc -l)"
