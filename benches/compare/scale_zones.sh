#!/usr/bin/env bash
# Forest loss per polygon past one machine, measured on one: the Hansen GFC 2023 crop of
# ../shared/data/raster/mapme (tree cover 2000, loss year, GFW gross emissions; 192 × 221
# cells near Sierra de Neiba) enlarged SCALE times (gdal_translate -r near, as
# benches/compare/zonal.sh does: the same values on a finer grid), under a layer of N × N
# square polygons that tile its extent, run
#   - as one process: terrawatt raster forest-loss … --out one.FORMAT, and
#   - as a planned run: terrawatt plan raster forest-loss --per-task PER --table-format
#     FORMAT … then terrawatt submit RUN --local (each task a process, one after another;
#     then the merge),
# for each table format (csv, parquet, gpkg), with the merge alone timed too. Median of
# REPEATS runs under /usr/bin/time (whose CPU figures include the child processes). Then:
# the merged table against the single run's, row by row (the merged one has `task` and
# `part` first; GeoPackages compared field by field and geometry by geometry; Parquet is
# compared in tests/scale.rs, as no Parquet reader is at hand in Python here).
#
# Setup: a release build (cargo build --release); GDAL's Python bindings
# (apt-get install -y python3-gdal python3-numpy).
# Run from the repo root:
#   bash benches/compare/scale_zones.sh          # 3600 polygons, 450 per task (8 tasks)
# Environment: TERRAWATT, WORK (/tmp/tw-bench/scale-zones), SCALE (20), N (60), PER (450),
# REPEATS (3).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
TW=$(readlink -f "${TERRAWATT:-$repo/target/release/terrawatt}")
WORK=${WORK:-/tmp/tw-bench/scale-zones}
SCALE=${SCALE:-20}
N=${N:-60}
PER=${PER:-450}
REPEATS=${REPEATS:-3}
M=$repo/../shared/data/raster/mapme
mkdir -p "$WORK/logs" "$WORK/data"

for name in treecover2000 lossyear; do
  f=$WORK/data/$name-x$SCALE.tif
  [ -s "$f" ] || gdal_translate -q -outsize $((192 * SCALE)) $((221 * SCALE)) -r near \
    -co TILED=YES -co COMPRESS=DEFLATE "$M/Hansen_GFC-2023-v1.11_${name}_20N_080W.tif" "$f"
done
f=$WORK/data/emissions-x$SCALE.tif
[ -s "$f" ] || gdal_translate -q -outsize $((192 * SCALE)) $((221 * SCALE)) -r near \
  -co TILED=YES -co COMPRESS=DEFLATE \
  "$M/gfw_forest_carbon_gross_emissions_Mg_CO2e_px_20N_080W.tif" "$f"

zones=$WORK/grid-$N.gpkg
[ -s "$zones" ] || /usr/bin/python3 - "$zones" "$N" "$WORK/data/treecover2000-x$SCALE.tif" <<'PY'
import sys
from osgeo import gdal, ogr, osr
path, n, raster = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = gdal.Open(raster)
x0, dx, _, y0, _, dy = r.GetGeoTransform()
w, h = r.RasterXSize * dx, r.RasterYSize * dy   # dy < 0
srs = osr.SpatialReference(); srs.ImportFromEPSG(4326)
ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
lyr = ds.CreateLayer("grid", srs, ogr.wkbPolygon)
lyr.CreateField(ogr.FieldDefn("cell", ogr.OFTString))
lyr.StartTransaction()
for i in range(n):
    for j in range(n):
        xa, xb = x0 + w * j / n, x0 + w * (j + 1) / n
        ya, yb = y0 + h * i / n, y0 + h * (i + 1) / n
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for x, y in [(xa, ya), (xb, ya), (xb, yb), (xa, yb), (xa, ya)]:
            ring.AddPoint_2D(x, y)
        poly = ogr.Geometry(ogr.wkbPolygon); poly.AddGeometry(ring)
        f = ogr.Feature(lyr.GetLayerDefn()); f.SetField("cell", f"r{i}c{j}"); f.SetGeometry(poly)
        lyr.CreateFeature(f)
lyr.CommitTransaction()
PY
args=(--treecover "$WORK/data/treecover2000-x$SCALE.tif"
  --lossyear "$WORK/data/lossyear-x$SCALE.tif"
  --emissions "$WORK/data/emissions-x$SCALE.tif"
  --zones "$zones" --min-cover 30 --min-patch 1ha --years 2000-2023)

source "$repo/benches/compare/steps.sh"

for r in $(seq "$REPEATS"); do
  for fmt in csv parquet gpkg; do
    rm -rf "$WORK/one.$fmt" "$WORK/run-$fmt"
    timed "single-$fmt" "$TW" --quiet raster forest-loss "${args[@]}" --out "$WORK/one.$fmt"
    timed "plan-$fmt" "$TW" --quiet plan raster forest-loss --per-task "$PER" \
      --table-format "$fmt" --out "$WORK/run-$fmt" "${args[@]}"
    timed "tasks+merge-$fmt" "$TW" --quiet submit "$WORK/run-$fmt" --local
    timed "merge-$fmt" "$TW" --quiet merge "$WORK/run-$fmt"
  done
done

echo "$((N * N)) polygons over $((192 * SCALE)) × $((221 * SCALE)) cells, $PER per task ($(( (N * N + PER - 1) / PER )) tasks); median of $REPEATS"
printf "%-18s %8s %8s %10s\n" step "wall s" "CPU s" "peak MiB"
for fmt in csv parquet gpkg; do
  for step in single plan tasks+merge merge; do
    name=$step-$fmt
    median_row "$name" 18
  done
done

/usr/bin/python3 - "$WORK" <<'PY'
import csv, sys
from osgeo import ogr, gdal
gdal.UseExceptions()
w = sys.argv[1]
one = list(csv.reader(open(f"{w}/one.csv")))
merged = list(csv.reader(open(f"{w}/run-csv/forest-loss.csv")))
print(f"csv: {len(one) - 1} rows; merged rows equal one run's after task and part:",
      len(one) == len(merged) and all(m[2:] == o for m, o in zip(merged, one)))
def rows(p):
    ds = ogr.Open(p); lyr = ds.GetLayer(0)
    out = [([f.GetField(i) for i in range(f.GetFieldCount())],
            f.GetGeometryRef().ExportToWkb() if f.GetGeometryRef() else b"") for f in lyr]
    return out
a, b = rows(f"{w}/one.gpkg"), rows(f"{w}/run-gpkg/forest-loss.gpkg")
print(f"gpkg: {len(a)} features; merged fields and geometries equal one run's:",
      len(a) == len(b) and all(m[0][2:] == o[0] and m[1] == o[1] for m, o in zip(b, a)))
PY
