#!/usr/bin/env bash
# Two-date change detection (dNDVI + a change class), side by side: terrawatt, gdal_calc.py
# and a rasterio windowed numpy script, on a real Sentinel-2 L2A pair (../shared/data/raster/
# mapme_vegetation/s2a, 2017-05-03 → 2017-07-22, B04/B08, UInt16, nodata 0) upsampled with
# gdal_translate (bilinear) to SIZE × SIZE. Prints a results table (median of REPEATS runs,
# each under /usr/bin/time after a warm-up read of the inputs) and an agreement check.
#
# Setup (Debian 12; run once):
#   apt-get install -y gdal-bin python3-gdal python3-numpy
#   /usr/bin/python3 -m venv --system-site-packages /tmp/venv-rasterio
#   /tmp/venv-rasterio/bin/pip install rasterio "numpy==$(/usr/bin/python3 -c 'import numpy;print(numpy.__version__)')"
#   (rasterio's wheel bundles its own GDAL; pinning numpy to the system one keeps python3-gdal
#   importable from the same venv.)  And a release build: cargo build --release.
#
# Run from the repo root:
#   bash benches/compare/raster_change.sh                # the comparison (SIZE 5120: 26.2 MP)
#   bash benches/compare/raster_change.sh memory 46341   # terrawatt alone on a 46341² pair
#                                                        # (2.15 GP; ~3.5 GB of inputs, made
#                                                        # and deleted here), --memory 512MB,
#                                                        # a COG (FORMAT=gtiff for a plain one)
# Environment: TERRAWATT (binary, default target/release/terrawatt), VENV (/tmp/venv-rasterio),
# WORK (scratch, default /tmp/tw-bench/raster_change), SIZE (5120), REPEATS (5),
# LOCK (a file to flock around every timed run, e.g. a build lock; default none).
#
# What each tool does (the same outputs: dNDVI = NDVI(after) − NDVI(before) in float32, NaN
# where any input is nodata; class 1 where dNDVI < −0.1, 0 otherwise, NaN missing):
# - terrawatt raster change: one 2-band Float32 COG (DEFLATE level 1, floating-point
#   predictor, overviews), default threads; terrawatt's own TIFF writer compresses tiles on
#   all cores as strips arrive.
# - gdal_calc.py (GDAL 3.6): `--format COG` fails there (gdal_calc calls Create(), which the
#   COG driver lacks), so a user writes tiled GeoTIFFs and converts them with
#   `gdal_translate -of COG -co COMPRESS=DEFLATE`. Nodata must be explicit: gdal_calc's own
#   nodata propagation with `--NoDataValue nan` turns every pixel into NaN (NaN × 0), so the
#   calls use --hideNoData and where(A==0|..., nan, ...). Two pipelines:
#     "2 calls": dNDVI → tmp; class from that dNDVI → tmp; two gdal_translate to COG
#     ("-mt": the same with -co NUM_THREADS=ALL_CPUS, compressing on all cores as terrawatt does);
#     "1 call": two --calc in one call (a 2-band file like terrawatt's; gdal_calc reads the
#     inputs again for the second band and recomputes dNDVI there), then gdal_translate.
#   Intermediates are tiled and uncompressed (the cheapest choice for gdal_calc).
# - rasterio: block windows of the first input, four reads per window, numpy, writes both
#   bands; "COG direct" opens the output with driver="COG" (rasterio buffers the whole
#   dataset in a MEM dataset and copies it to COG on close), "GTiff then COG" writes a tiled
#   uncompressed GeoTIFF and copies it with rasterio.shutil.copy(driver="COG").
# - floors: gdal_translate -of COG -co COMPRESS=DEFLATE of the four inputs (read + COG write
#   of UInt16); GDAL's COG step alone (level 1, floating-point predictor, all cores) on
#   terrawatt's uncompressed 2-band output; terrawatt writing a plain tiled GeoTIFF
#   (deflate, none).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
TW=${TERRAWATT:-$repo/target/release/terrawatt}
VENV=${VENV:-/tmp/venv-rasterio}
WORK=${WORK:-/tmp/tw-bench/raster_change}
SIZE=${SIZE:-5120}
REPEATS=${REPEATS:-5}
LOCK=${LOCK:-}
SRC=${SRC:-$repo/../shared/data/raster/mapme_vegetation/s2a}
SYSPY=/usr/bin/python3
mode=${1:-compare}
FORMAT=${FORMAT:-cog}   # the memory run's output format (cog or gtiff)

[ -x "$TW" ] || { echo "no terrawatt binary at $TW (cargo build --release, or set TERRAWATT)" >&2; exit 1; }
mkdir -p "$WORK/data" "$WORK/logs"
TW=$(readlink -f "$TW")

if [ -n "$LOCK" ]; then exec 9>>"$LOCK"; fi
lock() { if [ -n "$LOCK" ]; then flock 9; fi; }
unlock() { if [ -n "$LOCK" ]; then flock -u 9; fi; }

# make_pair SIZE [extra gdal_translate options...]: the four inputs, once.
make_pair() {
  local n=$1; shift
  local d f
  for d in 20170503 20170722; do
    for b in B04 B08; do
      f=$WORK/data/s2_${d}_${b}_$n.tif
      [ -s "$f" ] || gdal_translate -q -outsize "$n" "$n" -r bilinear -co TILED=YES \
        -co COMPRESS=DEFLATE "$@" "$SRC/S2A_38PLR_${d}_0_L2A_${b}.tif" "$f"
    done
  done
}

# step TOOL REP STEP cmd...: one timed command; appends wall, user, sys, peak RSS.
step() {
  local tool=$1 rep=$2 st=$3; shift 3
  local tf=$WORK/logs/time.$$
  if ! /usr/bin/time -f "%e s %U user %S sys %M KB" -o "$tf" "$@" \
      >>"$WORK/logs/$tool.log" 2>&1; then
    echo "FAILED: $tool / $st (log: $WORK/logs/$tool.log)" >&2; cat "$tf" >&2; unlock; exit 1
  fi
  awk -v t="$tool" -v r="$rep" -v s="$st" '/ s .* user / {print t"\t"r"\t"s"\t"$1"\t"$3"\t"$5"\t"$7}' \
    "$tf" >>"$STEPS"
}

if [ "$mode" = memory ]; then
  BIG=${2:-46341}
  # asks for free disk ≥ the raw size of the four UInt16 inputs (8 bytes a pixel; 17 GB at
  # 46341²); compressed, inputs and output take far less (upsampled data is smooth)
  need_gb=$(( BIG / 1000 * BIG / 1000 * 4 * 2 / 1000 ))
  avail_gb=$(df -BG --output=avail "$WORK" | tail -1 | tr -dc 0-9)
  echo "memory run: ${BIG}² = $(( BIG * BIG / 1000000 )) MP; raw UInt16 per input $(( BIG / 1000 * BIG / 1000 * 2 / 1000 )) GB; $avail_gb GB free"
  [ "$avail_gb" -gt "$need_gb" ] || { echo "not enough free disk for a ${BIG}² pair" >&2; exit 1; }
  t0=$(date +%s)
  make_pair "$BIG" -co BIGTIFF=YES -co ZLEVEL=1 -co PREDICTOR=2
  echo "inputs made in $(( $(date +%s) - t0 )) s: $(du -ch "$WORK"/data/s2_*_"$BIG".tif | tail -1)"
  in=("$WORK/data/s2_20170503_B04_$BIG.tif" "$WORK/data/s2_20170503_B08_$BIG.tif"
      "$WORK/data/s2_20170722_B04_$BIG.tif" "$WORK/data/s2_20170722_B08_$BIG.tif")
  cat "${in[@]}" >/dev/null
  out=$WORK/out-big; rm -rf "$out"; mkdir -p "$out"
  trap 'rm -rf "$out" "$WORK"/data/s2_*_"$BIG".tif' EXIT   # the big files go, even on failure
  STEPS=$WORK/steps-memory.tsv; : >"$STEPS"
  sync; lock
  # a time limit, so that a hung run cannot hold LOCK for ever (MEMORY_TIMEOUT seconds)
  step memory 1 terrawatt timeout "${MEMORY_TIMEOUT:-1200}" "$TW" raster change --index ndvi \
    --before-red "${in[0]}" --before-nir "${in[1]}" --after-red "${in[2]}" --after-nir "${in[3]}" \
    --threshold -0.1 --memory 512MB --format "$FORMAT" --compress deflate --out "$out/change.tif" --quiet
  unlock
  cat "$WORK/logs/memory.log"
  awk -F'\t' -v px=$(( BIG * BIG )) -v f="$FORMAT" '{printf "terrawatt, %.0f px, --memory 512MB, %s deflate: %.1f s wall, %.1f s CPU, peak RSS %.0f MiB, %.1f MPix/s\n", px, f, $4, $5+$6, $7/1024, px/$4/1e6}' "$STEPS"
  ls -la "$out"
  "$SYSPY" -m osgeo_utils.samples.validate_cloud_optimized_geotiff --full-check=no "$out/change.tif" || true 
  exit 0
fi

# ---------------------------------------------------------------- the comparison
make_pair "$SIZE"
B1R=$WORK/data/s2_20170503_B04_$SIZE.tif
B1N=$WORK/data/s2_20170503_B08_$SIZE.tif
B2R=$WORK/data/s2_20170722_B04_$SIZE.tif
B2N=$WORK/data/s2_20170722_B08_$SIZE.tif
INPUTS=("$B1R" "$B1N" "$B2R" "$B2N")
OUT=$WORK/out
FINAL=$WORK/final
STEPS=$WORK/steps.tsv
: >"$STEPS"
rm -f "$WORK"/logs/*.log
mkdir -p "$FINAL"

# gdal_calc expressions: A, B = before red, nir; C, D = after red, nir (nodata 0)
MISSING="(A==0)|(B==0)|(C==0)|(D==0)"
DNDVI="(D.astype(float32)-C)/(D.astype(float32)+C)-(B.astype(float32)-A)/(B.astype(float32)+A)"
CALC_IN=(-A "$B1R" -B "$B1N" -C "$B2R" -D "$B2N")
CALC_CO=(--co TILED=YES --type Float32 --NoDataValue nan --hideNoData --quiet --overwrite)

# rasterio: the windowed numpy idiom.
RIO_PY='
import sys
import numpy as np
import rasterio
import rasterio.shutil
br, bn, ar, an, out, how = sys.argv[1:]
srcs = [rasterio.open(p) for p in (br, bn, ar, an)]
s = srcs[0]
profile = dict(width=s.width, height=s.height, count=2, dtype="float32", crs=s.crs,
               transform=s.transform, nodata=np.nan)
if how == "cog":
    profile.update(driver="COG", compress="deflate")
    target = out
else:
    profile.update(driver="GTiff", tiled=True, blockxsize=256, blockysize=256)
    target = out + ".tmp.tif"
with rasterio.open(target, "w", **profile) as dst:
    for _, win in s.block_windows(1):
        r0, n0, r1, n1 = (src.read(1, window=win) for src in srcs)
        missing = np.zeros(r0.shape, bool)
        for src, a in zip(srcs, (r0, n0, r1, n1)):
            missing |= a == src.nodata
        r0, n0, r1, n1 = (a.astype(np.float32) for a in (r0, n0, r1, n1))
        with np.errstate(invalid="ignore", divide="ignore"):
            d = (n1 - r1) / (n1 + r1) - (n0 - r0) / (n0 + r0)
        d[missing] = np.nan
        c = (d < -0.1).astype(np.float32)
        c[missing] = np.nan
        dst.write(d, 1, window=win)
        dst.write(c, 2, window=win)
if how != "cog":
    rasterio.shutil.copy(target, out, driver="COG", compress="deflate")
    rasterio.shutil.delete(target)
'

TWC=(raster change --index ndvi --before-red "$B1R" --before-nir "$B1N" --after-red "$B2R" --after-nir "$B2N" --quiet)
# the COG copy's options in crates/raster/src/write.rs (keep in step with it)
COG_TW_CO=(-co COMPRESS=DEFLATE -co LEVEL=1 -co PREDICTOR=FLOATING_POINT -co BLOCKSIZE=512 -co OVERVIEW_RESAMPLING=NEAREST -co NUM_THREADS=ALL_CPUS)

run_tool() { # run_tool TOOL REP
  local t=$1 r=$2
  case $t in
    terrawatt) step $t $r run "$TW" "${TWC[@]}" --threshold -0.1 --out "$OUT/tw.tif"
      cp "$OUT/tw.tif" "$FINAL/terrawatt.tif" ;;
    terrawatt-otsu) step $t $r run "$TW" "${TWC[@]}" --threshold otsu --out "$OUT/tw.tif"
      cp "$OUT/tw.tif" "$FINAL/terrawatt-otsu.tif" ;;
    terrawatt-gtiff-deflate) step $t $r run "$TW" "${TWC[@]}" --threshold -0.1 --format gtiff --compress deflate --out "$OUT/tw.tif" ;;
    terrawatt-gtiff-none) step $t $r run "$TW" "${TWC[@]}" --threshold -0.1 --format gtiff --compress none --out "$OUT/tw.tif"
      cp "$OUT/tw.tif" "$FINAL/terrawatt-none.tif" ;;
    gdal_calc-2calls)
      step $t $r calc-dndvi gdal_calc.py "${CALC_IN[@]}" --outfile "$OUT/d.tmp.tif" "${CALC_CO[@]}" \
        --calc "where($MISSING, nan, $DNDVI)"
      step $t $r calc-class gdal_calc.py -A "$OUT/d.tmp.tif" --outfile "$OUT/c.tmp.tif" "${CALC_CO[@]}" \
        --calc "where(isnan(A), nan, A < -0.1)"
      step $t $r cog-dndvi gdal_translate -q -of COG -co COMPRESS=DEFLATE "$OUT/d.tmp.tif" "$OUT/dndvi.tif"
      step $t $r cog-class gdal_translate -q -of COG -co COMPRESS=DEFLATE "$OUT/c.tmp.tif" "$OUT/class.tif"
      rm -f "$OUT"/*.tmp.tif; cp "$OUT/dndvi.tif" "$FINAL/calc-dndvi.tif"; cp "$OUT/class.tif" "$FINAL/calc-class.tif" ;;
    gdal_calc-2calls-mt)   # the same, with the COG compression on all cores as terrawatt does
      step $t $r calc-dndvi gdal_calc.py "${CALC_IN[@]}" --outfile "$OUT/d.tmp.tif" "${CALC_CO[@]}" \
        --calc "where($MISSING, nan, $DNDVI)"
      step $t $r calc-class gdal_calc.py -A "$OUT/d.tmp.tif" --outfile "$OUT/c.tmp.tif" "${CALC_CO[@]}" \
        --calc "where(isnan(A), nan, A < -0.1)"
      step $t $r cog-dndvi gdal_translate -q -of COG -co COMPRESS=DEFLATE -co NUM_THREADS=ALL_CPUS "$OUT/d.tmp.tif" "$OUT/dndvi.tif"
      step $t $r cog-class gdal_translate -q -of COG -co COMPRESS=DEFLATE -co NUM_THREADS=ALL_CPUS "$OUT/c.tmp.tif" "$OUT/class.tif"
      rm -f "$OUT"/*.tmp.tif ;;
    gdal_calc-1call)
      step $t $r calc-2bands gdal_calc.py "${CALC_IN[@]}" --outfile "$OUT/dc.tmp.tif" "${CALC_CO[@]}" \
        --calc "where($MISSING, nan, $DNDVI)" --calc "where($MISSING, nan, ($DNDVI) < -0.1)"
      step $t $r cog gdal_translate -q -of COG -co COMPRESS=DEFLATE "$OUT/dc.tmp.tif" "$OUT/change.tif"
      rm -f "$OUT"/*.tmp.tif; cp "$OUT/change.tif" "$FINAL/calc-1call.tif" ;;
    rasterio-cog)
      step $t $r run "$VENV/bin/python" -c "$RIO_PY" "${INPUTS[@]}" "$OUT/change.tif" cog
      cp "$OUT/change.tif" "$FINAL/rasterio-cog.tif" ;;
    rasterio-gtiff-cog)
      step $t $r run "$VENV/bin/python" -c "$RIO_PY" "${INPUTS[@]}" "$OUT/change.tif" gtiff
      cp "$OUT/change.tif" "$FINAL/rasterio-gtiff-cog.tif" ;;
    floor-cog-copy-inputs)
      local i=0 f
      for f in "${INPUTS[@]}"; do
        i=$((i + 1)); step $t $r copy$i gdal_translate -q -of COG -co COMPRESS=DEFLATE "$f" "$OUT/in$i.tif"
      done ;;
    floor-cog-step-of-terrawatt)
      step $t $r cog gdal_translate -q -of COG "${COG_TW_CO[@]}" "$FINAL/terrawatt-none.tif" "$OUT/tw-cog.tif" ;;
  esac
}

TOOLS=(terrawatt terrawatt-otsu terrawatt-gtiff-deflate terrawatt-gtiff-none
       gdal_calc-2calls gdal_calc-2calls-mt gdal_calc-1call rasterio-cog rasterio-gtiff-cog
       floor-cog-copy-inputs floor-cog-step-of-terrawatt)
[ -n "${ONLY:-}" ] && read -r -a TOOLS <<<"$ONLY"

for rep in $(seq 1 "$REPEATS"); do
  for t in "${TOOLS[@]}"; do
    rm -rf "$OUT"; mkdir -p "$OUT"
    sync
    cat "${INPUTS[@]}" >/dev/null          # warm-up: the same page cache for every tool
    lock
    run_tool "$t" "$rep"
    unlock
    echo "$t, run $rep: $(awk -F'\t' -v t="$t" -v r="$rep" '$1==t && $2==r {w+=$4} END {printf "%.2f s", w}' "$STEPS")" >&2
  done
done
rm -rf "$OUT"

# ---------------------------------------------------------------- results
echo
echo "terrawatt $("$TW" --version | awk '{print $2}'), GDAL $(gdal-config --version 2>/dev/null || gdalinfo --version | awk '{print $2}' | tr -d ,)," \
  "$("$VENV/bin/python" -c 'import rasterio, numpy; print(f"rasterio {rasterio.__version__} (GDAL {rasterio.__gdal_version__}), numpy {numpy.__version__}")')," \
  "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); ${SIZE}² = $(( SIZE * SIZE / 1000 ))k px; median of $REPEATS"
$SYSPY - "$STEPS" "$SIZE" <<'PY'
import sys, statistics as st
from collections import defaultdict
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
px = int(sys.argv[2]) ** 2
runs = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, 0.0]))   # tool -> rep -> wall, cpu, rss
steps = defaultdict(lambda: defaultdict(list))
for t, r, s, w, u, sy, rss in rows:
    a = runs[t][r]
    a[0] += float(w); a[1] += float(u) + float(sy); a[2] = max(a[2], float(rss) / 1024)
    steps[t][s].append(float(w))
med = {t: [st.median(v[i] for v in reps.values()) for i in range(3)] for t, reps in runs.items()}
ref_w, ref_c, _ = med.get("terrawatt", [float("nan")] * 3)
print("wall, CPU (user + sys), peak RSS: medians; wall range over the runs; the ratios are the")
print("tool's over terrawatt's default run (above 1: terrawatt is faster / uses less CPU)")
print(f"| {'tool':30s} | wall s | wall range  | CPU s | peak RSS MiB | MPix/s | wall ÷ tw | CPU ÷ tw |")
print(f"|{'-'*32}|-------:|-------------|------:|------------:|-------:|----------:|---------:|")
for t, (w, c, m) in med.items():
    ws = [v[0] for v in runs[t].values()]
    print(f"| {t:30s} | {w:6.2f} | {min(ws):5.2f}–{max(ws):5.2f} | {c:5.2f} | {m:11.0f} | "
          f"{px / w / 1e6:6.1f} | {w / ref_w:9.2f} | {c / ref_c:8.2f} |")
print()
for t, ss in steps.items():
    if len(ss) > 1:
        print(f"{t}: " + ", ".join(f"{s} {st.median(v):.2f} s" for s, v in ss.items()))
PY

echo
grep -h -m1 "^energy" "$WORK/logs/terrawatt.log" 2>/dev/null | sed 's/^/terrawatt energy line (first run): /' || true
grep -h -m1 "threshold .*Otsu" "$WORK/logs/terrawatt-otsu.log" 2>/dev/null | sed 's/^ *//;s/^/terrawatt otsu: /' || true
echo
for f in "$FINAL"/*.tif; do
  printf "%-28s %9s bytes  %s, overviews: %s\n" "$(basename "$f")" "$(stat -c %s "$f")" \
    "$(gdalinfo "$f" | grep -o 'LAYOUT=COG' || echo 'not COG')" \
    "$(gdalinfo "$f" | grep -m1 'Overviews:' | sed 's/.*Overviews: //' || echo none)"
done

# ---------------------------------------------------------------- agreement
echo
$SYSPY - "$FINAL" <<'PY'
import sys
import numpy as np
from osgeo import gdal
gdal.UseExceptions()
d = sys.argv[1]
def band(name, b):
    ds = gdal.Open(f"{d}/{name}")
    return ds.GetRasterBand(b).ReadAsArray()
ref = band("terrawatt.tif", 1)
ref_nan = np.isnan(ref)
print(f"agreement with terrawatt's band 1 ({ref.size} px, {ref_nan.sum()} NaN):")
others = [("terrawatt gtiff none", "terrawatt-none.tif", 1, "terrawatt-none.tif", 2),
          ("gdal_calc 2 calls", "calc-dndvi.tif", 1, "calc-class.tif", 1),
          ("gdal_calc 1 call", "calc-1call.tif", 1, "calc-1call.tif", 2),
          ("rasterio COG direct", "rasterio-cog.tif", 1, "rasterio-cog.tif", 2),
          ("rasterio GTiff then COG", "rasterio-gtiff-cog.tif", 1, "rasterio-gtiff-cog.tif", 2)]
for label, fd, bd, fc, bc in others:
    try:
        x = band(fd, bd)
    except RuntimeError:
        continue
    x_nan = np.isnan(x)
    both = ~ref_nan & ~x_nan
    differ = int((ref[both].view(np.uint32) != x[both].view(np.uint32)).sum())
    maxabs = float(np.abs(ref[both] - x[both]).max()) if both.any() else 0.0
    del x
    c = band(fc, bc)
    rc = band("terrawatt.tif", 2)
    cdiff = int((~((rc == c) | (np.isnan(rc) & np.isnan(c)))).sum())
    del c, rc
    print(f"  {label:24s} dNDVI: NaN mask differs at {int((ref_nan != x_nan).sum())} px, "
          f"values differ (bitwise) at {differ} px, max |Δ| {maxabs:.3g}; class differs at {cdiff} px")
PY
