#!/usr/bin/env bash
# Landscape metrics, side by side: terrawatt raster landscape and pylandstats 3.1, on the
# CORINE land-cover raster ../shared/data/raster/pylandstats/ls250_06.tif (189 × 130, 250 m,
# nodata 255) enlarged with gdal_translate (nearest neighbour, cell size divided by the
# factor) to SIZE × SIZE·130/189 cells, so the landscape keeps its patches at a finer grain.
# Both compute the same class- and landscape-level metrics (area, PLAND, NP, PD, LPI, TE,
# ED, AREA_MN, TCA at edge depth 1, MESH, SHDI), 8-connectivity, nodata 255. Median of
# REPEATS runs under /usr/bin/time; agreement of the landscape-level values printed.
#
# Setup (once): /usr/bin/python3 -m venv /tmp/venv-pls; /tmp/venv-pls/bin/pip install
#   "pylandstats>=3,<4"; and a release build (cargo build --release).
# Run from the repo root:
#   bash benches/compare/landscape.sh                 # side by side (SIZE 8000: 44 MP)
#   bash benches/compare/landscape.sh memory 38000    # terrawatt alone, ~1 GP, --memory 512MB
# Environment: TERRAWATT, VENV (/tmp/venv-pls), WORK (/tmp/tw-bench/landscape), SIZE,
# REPEATS (3).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
TW=$(readlink -f "${TERRAWATT:-$repo/target/release/terrawatt}")
VENV=${VENV:-/tmp/venv-pls}
WORK=${WORK:-/tmp/tw-bench/landscape}
SIZE=${SIZE:-8000}
REPEATS=${REPEATS:-3}
SRC=$repo/../shared/data/raster/pylandstats/ls250_06.tif
mode=${1:-compare}
mkdir -p "$WORK"

make() {   # make N: the enlarged raster, once
  local n=$1 f=$WORK/ls_$1.tif
  local h=$(( n * 130 / 189 ))
  [ -s "$f" ] || gdal_translate -q -outsize "$n" "$h" -r near -co TILED=YES -co COMPRESS=DEFLATE \
    -co BIGTIFF=IF_SAFER "$SRC" "$f"
  echo "$f"
}

source benches/compare/timed.sh  # timed LABEL cmd…

if [ "$mode" = memory ]; then
  n=${2:-38000}
  f=$(make "$n")
  trap 'rm -f "$f"' EXIT
  echo "memory run: $(gdalinfo "$f" | grep 'Size is')"
  timed terrawatt-memory "$TW" raster landscape --input "$f" --memory 512MB --quiet \
    | awk -F'\t' '{printf "terrawatt --memory 512MB: %.1f s wall, %.1f s CPU, peak RSS %.0f MiB\n", $2, $3, $4/1024}'
  tail -4 "$WORK/terrawatt-memory.out"
  exit 0
fi

f=$(make "$SIZE")
cat > "$WORK/pls.py" <<'PY'
import sys, numpy as np, pylandstats as pls
ls = pls.Landscape(sys.argv[1], nodata=255, neighborhood_rule="8")
out = {}
for c in ls.classes:
    out[c] = [ls.total_area(class_val=c), ls.proportion_of_landscape(c),
              ls.number_of_patches(class_val=c), ls.patch_density(class_val=c),
              ls.largest_patch_index(class_val=c), ls.total_edge(class_val=c),
              ls.edge_density(class_val=c), ls.area_mn(class_val=c),
              ls.total_core_area(class_val=c, edge_depth=1),
              ls.effective_mesh_size(class_val=c)]
land = [ls.total_area(), ls.number_of_patches(), ls.patch_density(), ls.largest_patch_index(),
        ls.total_edge(), ls.edge_density(), ls.area_mn(), ls.total_core_area(edge_depth=1),
        ls.effective_mesh_size(), ls.shannon_diversity_index()]
print("landscape", " ".join(repr(float(v)) for v in land))
PY
echo "$(gdalinfo "$f" | grep 'Size is'); terrawatt $("$TW" --version | awk '{print $2}'), pylandstats $("$VENV/bin/python" -c 'import pylandstats; print(pylandstats.__version__)'), 2 CPUs; median of $REPEATS"
: > "$WORK/times.tsv"
for r in $(seq "$REPEATS"); do
  timed terrawatt "$TW" raster landscape --input "$f" --table "$WORK/tw.csv" --quiet >> "$WORK/times.tsv"
  timed pylandstats "$VENV/bin/python" "$WORK/pls.py" "$f" >> "$WORK/times.tsv"
done
sort -t$'\t' -k1,1 -k2,2n "$WORK/times.tsv" | awk -F'\t' '
  {w[$1]=w[$1]" "$2; c[$1]=c[$1]" "$3; m[$1]=m[$1]" "$4; n[$1]++}
  END {for (t in n) {split(w[t],a," "); split(c[t],b," "); split(m[t],d," "); k=int((n[t]+1)/2);
       printf "| %-11s | %8.2f s | %8.2f s | %7.0f MiB |\n", t, a[k], b[k], d[k]/1024}}'
echo "pylandstats landscape level: $(cat "$WORK/pylandstats.out")"
echo "terrawatt landscape level:   $(grep '^landscape' "$WORK/tw.csv")"
