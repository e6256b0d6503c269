#!/usr/bin/env bash
# `--model auto` (the default) against the single models over every year of PVDAQ system 50
# (../shared/data/solar/pvdaq), tuning-free: 60-day window, daily refits, 8 lags, 15-minute
# data, 1-hour horizon, the clock put right (--fix-time-shift America/Denver), 10–90 %
# bands; without weather and with NSRDB PSM3 ghi and temp_air at the target times (perfect
# prognosis). Prints one line per run: period, weather, model, skill against clear-sky
# persistence at 15/30/45/60 min, band coverage at 15/30/45/60 min, CRPS at 60 min (W), the
# backtest's energy (J), MAE and RMSE at 60 min (W). A model `linear-cqr` or
# `linear-quantile` is ridge with bands from linear quantile regression (`--intervals cqr` /
# `quantile`); `gbm-median`, `linear-median` and `auto-median` are gbm, linear and auto
# with `--loss absolute`.
#
#   bash benches/compare/forecast_auto_years.sh [BINARY] [MODELS...]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/release/terrawatt}
shift || true
models=("${@:-auto}")
data=../shared/data/solar/pvdaq
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
site=(--site-lat 39.7406 --site-lon -105.1775 --site-elevation 1730 --tilt 45 --azimuth 158)
weather=(--weather "$data/system_50_ac_power_2_full_DST_psm3.parquet" --weather-time-column index --weather-columns ghi,temp_air)
printf '%-23s %-7s %-15s %s\n' period weather model "skill vs clear-sky persistence (15, 30, 45, 60 min) | coverage (15, 30, 45, 60 min) | CRPS 60 min | J | MAE, RMSE 60 min"
for period in "2011-06-15 2012-01-01" "2012-01-01 2013-01-01" "2013-01-01 2014-01-01"; do
  set -- $period
  for w in none psm3; do
    wx=(); [ "$w" = psm3 ] && wx=("${weather[@]}")
    for model in "${models[@]}"; do
      case $model in
        gbm-small) m=(--model gbm --trees 50 --max-depth 2) ;;
        linear-cqr) m=(--model linear --intervals cqr) ;;
        linear-quantile) m=(--model linear --intervals quantile) ;;
        gbm-median) m=(--model gbm --loss absolute) ;;
        linear-median) m=(--model linear --loss absolute) ;;
        auto-median) m=(--model auto --loss absolute) ;;
        *) m=(--model "$model") ;;
      esac
      "$bin" forecast backtest --data "$data/system_50_ac_power_2_full_DST.parquet" \
        --time-column measured_on --target ac_power_2 --interval 15min --horizon 1h \
        "${site[@]}" --fix-time-shift America/Denver "${wx[@]}" "${m[@]}" \
        --quantiles 0.1,0.9 --start "$1" --end "$2" --report "$out/r.json" -q >/dev/null 2>&1
      python3 - "$out/r.json" "$1→$2" "$w" "$model" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
r = rep["results"]["per_horizon"]
c = " ".join(f"{h['skill_vs_clear_sky']:+.3f}" for h in r)
j = rep["energy"]["joules"] if "energy" in rep else float("nan")
cov = " ".join(f"{100 * h['coverage']:.1f}" for h in r)
print(f"{sys.argv[2]:23s} {sys.argv[3]:7s} {sys.argv[4]:15s} {c} | {cov} % | {r[-1]['crps']:.1f} W | {j:.0f} | {r[-1]['mae']:.1f}, {r[-1]['rmse']:.1f} W")
PY
    done
  done
done
