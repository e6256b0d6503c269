#!/usr/bin/env bash
# Tuning-free 1-hour-ahead backtests of PVDAQ system 50 (../shared/data/solar/pvdaq) over
# each of its years with the command line's defaults (60-day window, daily refits, 8 lags):
# three models (boosting with the defaults: 100 trees, depth 3; boosting with 50 trees of
# depth 2; ridge), the file's clock as is and put right (--fix-time-shift America/Denver),
# without weather and with NSRDB PSM3 ghi and temp_air at the target times (perfect
# prognosis). Prints one line per run: period, clock, weather, model, then skill against
# persistence and against clear-sky persistence at 15/30/45/60 min.
#
#   bash benches/compare/forecast_system50_years.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/release/terrawatt}
data=../shared/data/solar/pvdaq
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
site=(--site-lat 39.7406 --site-lon -105.1775 --site-elevation 1730 --tilt 45 --azimuth 158)
weather=(--weather "$data/system_50_ac_power_2_full_DST_psm3.parquet" --weather-time-column index --weather-columns ghi,temp_air)
printf '%-23s %-5s %-7s %-14s %s\n' period clock weather model "skill vs persistence | vs clear-sky persistence (15, 30, 45, 60 min)"
for period in "2011-06-15 2012-01-01" "2012-01-01 2013-01-01" "2013-01-01 2014-01-01"; do
  set -- $period
  for clock in asis fixed; do
    fix=(); [ "$clock" = fixed ] && fix=(--fix-time-shift America/Denver)
    for w in none psm3; do
      [ "$w" = psm3 ] && [ "$clock" = asis ] && continue
      wx=(); [ "$w" = psm3 ] && wx=("${weather[@]}")
      for model in "gbm" "gbm-small" "linear"; do
        case $model in
          gbm) m=(--model gbm) ;;
          gbm-small) m=(--model gbm --trees 50 --max-depth 2) ;;
          linear) m=(--model linear) ;;
        esac
        "$bin" forecast backtest --data "$data/system_50_ac_power_2_full_DST.parquet" \
          --time-column measured_on --target ac_power_2 --interval 15min --horizon 1h \
          "${site[@]}" "${fix[@]}" "${wx[@]}" "${m[@]}" --start "$1" --end "$2" \
          --report "$out/r.json" -q >/dev/null 2>&1
        python3 - "$out/r.json" "$1→$2" "$clock" "$w" "$model" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]["per_horizon"]
p = " ".join(f"{h['skill_vs_persistence']:+.3f}" for h in r)
c = " ".join(f"{h['skill_vs_clear_sky']:+.3f}" for h in r)
print(f"{sys.argv[2]:23s} {sys.argv[3]:5s} {sys.argv[4]:7s} {sys.argv[5]:14s} {p} | {c}")
PY
      done
    done
  done
done
