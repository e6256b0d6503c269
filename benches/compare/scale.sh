#!/usr/bin/env bash
# The cost of going past one machine, measured on one: the same two-date dNDVI change
# (the Sentinel-2 L2A pair of ../shared/data/raster/mapme_vegetation/s2a, B04/B08,
# 2017-05-03 → 2017-07-22, upsampled to SIZE × SIZE as benches/compare/raster_change.sh
# does) run
#   - as one process: terrawatt raster change … --out change.tif (a COG), and
#   - as a planned run: terrawatt plan raster change --tile-size TILE … then
#     terrawatt submit RUN --local (every task a process of its own, one after another,
#     each on all cores; then the merge: VRT + COG of the tiles, tables, summed energy),
# with the merge alone timed too. Median of REPEATS runs under /usr/bin/time (whose CPU
# figures include the child processes). Then: the mosaic against the single run (every
# pixel, NaN included) and the energy: the single run's report against the tasks' sum
# plus the merge's own.
#
# Setup: a release build (cargo build --release); GDAL's Python bindings for the check
# (apt-get install -y python3-gdal python3-numpy).
# Run from the repo root:
#   bash benches/compare/scale.sh                 # SIZE 5120 (26.2 MP), TILE 1280px (16)
#   THRESHOLD=otsu bash benches/compare/scale.sh  # Otsu: the merge thresholds the whole image
# Environment: TERRAWATT, WORK (/tmp/tw-bench/scale), SIZE (5120), TILE (1280px),
# THRESHOLD (-0.1), REPEATS (3).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
TW=$(readlink -f "${TERRAWATT:-$repo/target/release/terrawatt}")
WORK=${WORK:-/tmp/tw-bench/scale}
SIZE=${SIZE:-5120}
TILE=${TILE:-1280px}
THRESHOLD=${THRESHOLD:--0.1}   # otsu: the tasks write change values, the merge classifies
REPEATS=${REPEATS:-3}
SRC=$repo/../shared/data/raster/mapme_vegetation/s2a
mkdir -p "$WORK/data" "$WORK/logs"

for d in 20170503 20170722; do
  for b in B04 B08; do
    f=$WORK/data/s2_${d}_${b}_$SIZE.tif
    [ -s "$f" ] || gdal_translate -q -outsize "$SIZE" "$SIZE" -r bilinear -co TILED=YES \
      -co COMPRESS=DEFLATE "$SRC/S2A_38PLR_${d}_0_L2A_${b}.tif" "$f"
  done
done
args=(--index ndvi
  --before-red "$WORK/data/s2_20170503_B04_$SIZE.tif" --before-nir "$WORK/data/s2_20170503_B08_$SIZE.tif"
  --after-red "$WORK/data/s2_20170722_B04_$SIZE.tif" --after-nir "$WORK/data/s2_20170722_B08_$SIZE.tif"
  --threshold "$THRESHOLD")
cat "$WORK"/data/s2_*_"$SIZE".tif >/dev/null

source "$repo/benches/compare/steps.sh"

for r in $(seq "$REPEATS"); do
  rm -rf "$WORK/single.tif" "$WORK/run"
  timed single "$TW" --quiet --report "$WORK/single.json" raster change "${args[@]}" \
    --out "$WORK/single.tif"
  timed plan "$TW" --quiet plan raster change --tile-size "$TILE" --out "$WORK/run" "${args[@]}"
  timed tasks+merge "$TW" --quiet submit "$WORK/run" --local
  timed merge "$TW" --quiet --report "$WORK/merge.json" merge "$WORK/run"
done

echo "SIZE ${SIZE}² ($(( SIZE * SIZE / 1000000 )) MP), tiles $TILE: $(ls "$WORK"/run/tiles/change-*.tif | wc -l), threshold $THRESHOLD; median of $REPEATS"
printf "%-12s %8s %8s %10s\n" step "wall s" "CPU s" "peak MiB"
for name in single plan tasks+merge merge; do
  median_row "$name" 12
done

/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
import numpy as np
from osgeo import gdal
w = sys.argv[1]
a = gdal.Open(f"{w}/single.tif"); b = gdal.Open(f"{w}/run/change.tif")
same = all(
    np.array_equal(a.GetRasterBand(i).ReadAsArray().view(np.uint32),
                   b.GetRasterBand(i).ReadAsArray().view(np.uint32))
    for i in range(1, a.RasterCount + 1))
print("mosaic pixel-identical to the single run:", same,
      "| same geotransform:", a.GetGeoTransform() == b.GetGeoTransform())
single = json.load(open(f"{w}/single.json"))["energy"]
merge = json.load(open(f"{w}/merge.json"))["energy"]
run = json.load(open(f"{w}/run/energy.json"))["energy"]["total"]
print(f"energy ({single['method']}{', estimate' if single['estimate'] else ''}): "
      f"single {single['joules']:.1f} J; tasks {run['joules']:.1f} J + merge {merge['joules']:.1f} J "
      f"= {run['joules'] + merge['joules']:.1f} J; task CPU {run['cpu_s']:.2f} s over {run['tasks']} tasks")
PY
