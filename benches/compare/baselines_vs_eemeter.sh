#!/usr/bin/env bash
# Side by side, in one run: baseline fit times of eemeter (3.2: the CalTRACK 2.0 daily grid
# search; 4.x: the CalTRACK hourly TOWT model) and of terrawatt (criterion), on the eemeter
# sample meters in ../shared/data/building.
#
#   bash benches/compare/baselines_vs_eemeter.sh [VENV3] [VENV4]
#
# VENV3: a venv with eemeter==3.2.0 "pandas<3"; VENV4: a venv with eemeter 4.x "pandas<3"
# (defaults /tmp/venv-eemeter3 and /tmp/venv-eemeter). The eemeter side prints the median
# of several fit calls (data prepared beforehand); its full output goes to a temporary file,
# not to the committed fixture.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv3=${1:-/tmp/venv-eemeter3}
venv4=${2:-/tmp/venv-eemeter}
data=../shared/data/building
out=$(mktemp -d)
for v in "$venv3" "$venv4"; do
  "$v/bin/python" tools/reference/eemeter_baselines.py "$data" --out "$out/eemeter.json" >/dev/null
done
python3 - "$out/eemeter.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for section in ("eemeter_3", "eemeter_4"):
    for name, t in d.get(section, {}).get("timing", {}).items():
        if isinstance(t, dict) and "median_s" in t:
            print(f"{section:10s} {name:66s} median of {t['n_runs']}: {t['median_s'] * 1000:9.1f} ms")
PY
cargo bench -p terrawatt-building --bench baselines 2>/dev/null | grep -E "^baselines/|time:"
rm -rf "$out"
