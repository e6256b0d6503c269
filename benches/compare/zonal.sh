#!/usr/bin/env bash
# Zonal statistics, side by side: terrawatt raster zonal and exactextract 0.3 (Python), on
# the Hansen tree-cover tile of ../shared/data/raster/mapme (192 × 221 cells of 0.00025°)
# enlarged FACTOR times with gdal_translate (nearest neighbour: the same values on a finer
# grid; tiled, DEFLATE), against
#   - protected areas: gfw_sample.gpkg and sierra_de_neiba_478140.gpkg (two large polygons,
#     Sierra de Neiba reaching far beyond the raster), and
#   - N seeded star-shaped polygons of 48 vertices (radius 0.0005–0.004°) over the tile,
#     written once with OGR (numpy's default_rng(0)).
# Both compute count, sum, mean, min, max, stdev and majority with exact coverage
# fractions and write a CSV; exactextract is timed with each of its strategies
# (feature-sequential, raster-sequential) and the faster is the one compared. Median of
# REPEATS runs under /usr/bin/time; the largest relative difference of count and sum
# between the two tables is printed.
#
# Setup (once): /usr/bin/python3 -m venv --system-site-packages /tmp/venv-ee;
#   /tmp/venv-ee/bin/pip install exactextract; and a release build (cargo build --release).
# Run from the repo root:
#   bash benches/compare/zonal.sh                # side by side (FACTOR 40: 67.9 MP)
#   bash benches/compare/zonal.sh memory 150     # terrawatt alone, ~1 GP, --memory 512MB
# Environment: TERRAWATT, VENV (/tmp/venv-ee), WORK (/tmp/tw-bench/zonal), FACTOR (40),
# N (2000), REPEATS (3).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
TW=$(readlink -f "${TERRAWATT:-$repo/target/release/terrawatt}")
VENV=${VENV:-/tmp/venv-ee}
WORK=${WORK:-/tmp/tw-bench/zonal}
FACTOR=${FACTOR:-40}
N=${N:-2000}
REPEATS=${REPEATS:-3}
M=$repo/../shared/data/raster/mapme
SRC=$M/Hansen_GFC-2023-v1.11_treecover2000_20N_080W.tif
mkdir -p "$WORK"
mode=${1:-compare}
[ "$mode" = memory ] && FACTOR=${2:-150}

f=$WORK/treecover_x$FACTOR.tif
[ -s "$f" ] || gdal_translate -q -outsize "$((192 * FACTOR))" "$((221 * FACTOR))" -r near \
  -co TILED=YES -co COMPRESS=DEFLATE -co BIGTIFF=IF_SAFER "$SRC" "$f"
stars=$WORK/stars_$N.gpkg
[ -s "$stars" ] || /usr/bin/python3 - "$stars" "$N" <<'PY'
import sys, numpy as np
from osgeo import ogr, osr
path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
x0, y1, dx = -71.73775, 18.687, 0.00025
x1, y0 = x0 + 192 * dx, y1 - 221 * dx
srs = osr.SpatialReference(); srs.ImportFromEPSG(4326)
ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
lyr = ds.CreateLayer("stars", srs, ogr.wkbPolygon)
lyr.CreateField(ogr.FieldDefn("id", ogr.OFTInteger))
lyr.StartTransaction()
for i in range(n):
    cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
    r = rng.uniform(0.0005, 0.004)
    t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    rad = r * (1 + 0.3 * rng.uniform(-1, 1, 48))
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for a, q in zip(t, rad):
        ring.AddPoint_2D(cx + q * np.cos(a), cy + q * np.sin(a))
    ring.CloseRings()
    poly = ogr.Geometry(ogr.wkbPolygon); poly.AddGeometry(ring)
    f = ogr.Feature(lyr.GetLayerDefn()); f.SetField("id", i); f.SetGeometry(poly)
    lyr.CreateFeature(f)
lyr.CommitTransaction()
PY

if [ "$mode" = memory ]; then
  trap 'rm -f "$f"' EXIT
  zones=$WORK/areas_m.gpkg
  rm -f "$zones"
  ogr2ogr -q -nln areas -nlt MULTIPOLYGON "$zones" "$M/gfw_sample.gpkg"
  ogr2ogr -q -update -append -nln areas -nlt MULTIPOLYGON "$zones" "$M/sierra_de_neiba_478140.gpkg"
  echo "memory run: $(gdalinfo "$f" | grep 'Size is'), gfw_sample (the whole tile) and Sierra de Neiba"
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.m" "$TW" raster zonal --input "$f" --zones "$zones" \
    --memory 512MB --out "$WORK/tw_memory.csv" --quiet > "$WORK/memory.out" 2>&1
  awk '{printf "terrawatt --memory 512MB: %.1f s wall, %.1f s CPU, peak RSS %.0f MiB\n", $1, $2 + $3, $4/1024}' "$WORK/time.m"
  cut -d, -f1-8 "$WORK/tw_memory.csv"
  exit 0
fi

cat > "$WORK/ee.py" <<'PY'
import sys
from exactextract import exact_extract
rast, vec, strategy, out = sys.argv[1:5]
import csv
ops = ["count", "sum", "mean", "min", "max", "stdev", "majority"]
feats = exact_extract(rast, vec, ops, output="geojson", strategy=strategy)
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(ops)
    for ft in feats:
        w.writerow([ft["properties"][k] for k in ops])
PY

source benches/compare/timed.sh  # timed LABEL cmd…

echo "$(gdalinfo "$f" | grep 'Size is') (×$FACTOR); terrawatt $("$TW" --version | awk '{print $2}'), exactextract $("$VENV/bin/python" -c 'import exactextract; print(exactextract.__version__)'), $(nproc) CPUs; median of $REPEATS"
for case in areas stars; do
  if [ $case = areas ]; then
    zones=$WORK/areas.gpkg
    [ -s "$zones" ] || { ogr2ogr -q -nln areas -nlt MULTIPOLYGON "$zones" "$M/gfw_sample.gpkg"; \
      ogr2ogr -q -update -append -nln areas -nlt MULTIPOLYGON "$zones" "$M/sierra_de_neiba_478140.gpkg"; }
  else
    zones=$stars
  fi
  : > "$WORK/times.tsv"
  for r in $(seq "$REPEATS"); do
    timed terrawatt "$TW" raster zonal --input "$f" --zones "$zones" --area sphere \
      --out "$WORK/tw_$case.csv" --quiet >> "$WORK/times.tsv"
    timed ee-feature "$VENV/bin/python" "$WORK/ee.py" "$f" "$zones" feature-sequential \
      "$WORK/ee_$case.csv" >> "$WORK/times.tsv"
    timed ee-raster "$VENV/bin/python" "$WORK/ee.py" "$f" "$zones" raster-sequential \
      "$WORK/ee_r_$case.csv" >> "$WORK/times.tsv"
  done
  echo "## $case ($(ogrinfo -so -al "$zones" | grep 'Feature Count'))"
  echo "| tool | wall | CPU | peak RSS |"
  echo "|---|---:|---:|---:|"
  sort -t$'\t' -k1,1 -k2,2n "$WORK/times.tsv" | awk -F'\t' '
    {w[$1]=w[$1]" "$2; c[$1]=c[$1]" "$3; m[$1]=m[$1]" "$4; n[$1]++}
    END {for (t in n) {split(w[t],a," "); split(c[t],b," "); split(m[t],d," "); k=int((n[t]+1)/2);
         printf "| %-10s | %8.2f s | %8.2f s | %7.0f MiB |\n", t, a[k], b[k], d[k]/1024}}' | sort
  /usr/bin/python3 - "$WORK/tw_$case.csv" "$WORK/ee_$case.csv" <<'PY'
import csv, sys
tw = list(csv.DictReader(open(sys.argv[1])))
ee = list(csv.DictReader(open(sys.argv[2])))
assert len(tw) == len(ee), (len(tw), len(ee))
worst = 0.0
for a, b in zip(tw, ee):
    for k in ("count", "sum"):
        x, y = float(a[k] or 0), float(b[k] or 0)
        if y:
            worst = max(worst, abs(x - y) / abs(y))
    if b["majority"] not in ("", "nan") and a["majority"] and int(float(a["majority"])) != int(float(b["majority"])):
        print("majority differs:", a["fid"], a["majority"], b["majority"])
print(f"largest relative difference of count and sum over {len(tw)} zones: {worst:.2e}")
PY
done
