#!/usr/bin/env bash
# Tuning-free backtests of the three short PVDAQ series in ../shared/data/solar/pvdaq (5–6
# days each, too short for the default 60-day window): a 2-day window refitted daily, 1 h
# ahead at 15 min, 10–90 % bands, no site (their tilt and azimuth are not in the files; the
# Mesa array tracks one axis), for --model auto, linear and gbm. Prints per run and
# horizon: scored pairs, skill against persistence, the band's coverage over every scored
# pair (nights included: there is no site to tell them) and over daylight pairs (observed
# above 1 % of the capacity), and the run's energy (J).
#
# nrel_RSF_II.csv writes its stamps month first (1/2/2022 0:00, 2 January: the file runs
# 2–6 January); terrawatt refuses slashed dates as ambiguous, so this script writes a copy
# with ISO stamps (column 1 only) in a temporary folder.
#
#   bash benches/compare/forecast_short_pvdaq.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/release/terrawatt}
data=../shared/data/solar/pvdaq
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$data/nrel_RSF_II.csv" "$tmp/rsf_ii.csv" <<'PY'
import csv, datetime, sys
with open(sys.argv[1], newline="") as f, open(sys.argv[2], "w", newline="") as g:
    r, w = csv.reader(f), csv.writer(g)
    w.writerow(next(r))
    for row in r:
        row[0] = datetime.datetime.strptime(row[0], "%m/%d/%Y %H:%M").isoformat(sep=" ")
        w.writerow(row)
PY
common=(--interval 15min --horizon 1h --train-window 2d --refit 1d --quantiles 0.1,0.9)
run() {
  local name=$1 model=$2; shift 2
  "$bin" forecast backtest "$@" "${common[@]}" --model "$model" \
    --report "$tmp/r.json" --out "$tmp/f.csv" -q >/dev/null 2>&1
  python3 - "$tmp/r.json" "$tmp/f.csv" "$name" "$model" <<'PY'
import csv, json, sys
rep = json.load(open(sys.argv[1]))
res = rep["results"]
cap = res["capacity"] if "capacity" in res else None
rows = list(csv.DictReader(open(sys.argv[2])))
def num(v):
    try:
        return float(v)
    except ValueError:
        return float("nan")
cells = []
for h in res["per_horizon"]:
    m = h["horizon_minutes"]
    day = [r for r in rows if int(r["horizon_minutes"]) == m and num(r["observed"]) > 0.01 * (cap or 0)
           and num(r["q0.1"]) == num(r["q0.1"])]
    inside = sum(num(r["q0.1"]) <= num(r["observed"]) <= num(r["q0.9"]) for r in day)
    cells.append(f"{m:>2} min n={h['n']} skill={h['skill_vs_persistence']:+.3f} cov={100*h['coverage']:.1f}/{100*inside/max(len(day),1):.1f}%")
cal = res.get("calibration_pairs") or {}
print(f"{sys.argv[3]:8s} {sys.argv[4]:6s} " + " | ".join(cells) + f" | calib {cal.get('mean', float('nan')):.0f} | {rep['energy']['joules']:.2f} J")
PY
}
for model in auto linear gbm; do
  run "SERF W" "$model" --data "$data/serf_west_15min.csv" --time-column "" --tz America/Denver --target ac_power__773
  run "RSF II" "$model" --data "$tmp/rsf_ii.csv" --time-column "" --tz America/Denver --target ac_power_kw_1137
  run "Mesa" "$model" --data "$data/nrel_1axis_tracker_mesa_ac_power.csv" --time-column measured_on --target ac_power
done
