#!/usr/bin/env bash
# Accuracy of each change method on real imagery with planted change whose extent is known:
# the before date is the OSCD Norcia 2016 image (B02, B03, B04, B08; real texture); the after
# date is the same image through another radiometry (per band: gain, offset, and sensor
# noise of 1 % of the band's spread, seeded) with 12 square patches (8–20 px) replaced by
# content copied from elsewhere in the image (real surfaces, moved): the truth mask is those
# patches. Each method runs through `terrawatt raster change`, and its class map is scored by
# `terrawatt raster accuracy` (a census against the truth): OA, kappa, F1 of the change class.
# (No public labelled pair is reachable from this machine's package registries; this is the
# known-truth case on real texture. The pairs of issue 20 are held out of ../shared/data.)
#
# Setup: apt-get install -y gdal-bin python3-gdal python3-numpy; a release build.
# Run from the repo root: bash benches/compare/change_accuracy.sh
# Environment: TERRAWATT (default target/release/terrawatt), WORK (default
# /var/tmp/tw-bench/change_accuracy), SEED (7).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
TW=$(readlink -f "${TERRAWATT:-$repo/target/release/terrawatt}")
WORK=${WORK:-/var/tmp/tw-bench/change_accuracy}
SEED=${SEED:-7}
mkdir -p "$WORK"
/usr/bin/python3 - "$repo/../shared/data/raster/oscd_norcia/imgs_1" "$WORK" "$SEED" <<'EOF'
import sys, glob
import numpy as np
from osgeo import gdal
src, work, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(seed)
bands = ["B02", "B03", "B04", "B08"]
ds0 = gdal.Open(glob.glob(f"{src}/*_B02.tif")[0])
h, w = ds0.RasterYSize, ds0.RasterXSize
before = np.stack([gdal.Open(glob.glob(f"{src}/*_{b}.tif")[0]).ReadAsArray().astype(np.float32) for b in bands])
truth = np.zeros((h, w), np.uint8)
after = before.copy()
placed = 0
while placed < 12:
    s = int(rng.integers(8, 21))
    r, c = int(rng.integers(0, h - s)), int(rng.integers(0, w - s))
    r2, c2 = int(rng.integers(0, h - s)), int(rng.integers(0, w - s))
    if truth[max(r - 2, 0):r + s + 2, max(c - 2, 0):c + s + 2].any() or abs(r - r2) + abs(c - c2) < 3 * s:
        continue
    # real surfaces moved: counted as change only where they differ enough from what was there
    diff = np.abs(before[:, r2:r2 + s, c2:c2 + s] - before[:, r:r + s, c:c + s]).sum(0)
    after[:, r:r + s, c:c + s] = before[:, r2:r2 + s, c2:c2 + s]
    truth[r:r + s, c:c + s] = (diff > 0.25 * before.std(axis=(1, 2)).sum()).astype(np.uint8)
    placed += 1
gain = np.array([1.25, 0.8, 1.1, 0.7], np.float32)
offset = np.array([-150, 90, 40, 300], np.float32)
spread = before.reshape(4, -1).std(axis=1)
for k in range(4):
    after[k] = gain[k] * after[k] + offset[k] + rng.normal(0, 0.01 * spread[k], (h, w)).astype(np.float32)
drv = gdal.GetDriverByName("GTiff")
def write(name, arr, dtype):
    n = arr.shape[0] if arr.ndim == 3 else 1
    out = drv.Create(f"{work}/{name}", w, h, n, dtype)
    out.SetGeoTransform(ds0.GetGeoTransform()); out.SetProjection(ds0.GetProjection())
    for k in range(n):
        out.GetRasterBand(k + 1).WriteArray(arr[k] if arr.ndim == 3 else arr)
    out.FlushCache()
write("before.tif", before, gdal.GDT_Float32)
write("after.tif", after, gdal.GDT_Float32)
write("truth.tif", truth, gdal.GDT_Byte)
print(f"{w} x {h} px, {int(truth.sum())} changed pixels ({100 * truth.mean():.2f} %), 12 patches, seed {seed}")
EOF
run() {
  local name=$1; shift
  if ! "$TW" --quiet raster change --before "$WORK/before.tif" --after "$WORK/after.tif" "$@" \
    --out "$WORK/$name.tif" --classes-out "$WORK/$name-classes.tif" --format gtiff 2>"$WORK/$name.err" >/dev/null; then
    echo "| $name | refused: $(grep -m1 -o 'error: .*' "$WORK/$name.err" | cut -c8-120) | | | | | |"
    return
  fi
  "$TW" --quiet --report "$WORK/$name.json" raster accuracy --map "$WORK/$name-classes.tif" \
    --reference "$WORK/truth.tif" >/dev/null 2>&1
  /usr/bin/python3 - "$WORK/$name.json" "$name" "$WORK/$name.err" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["results"]["accuracy"]
c = {k["class"]: k for k in a["accuracy"]["classes"]}
warned = "warning" in open(sys.argv[3]).read()
print(f"| {sys.argv[2]} | {a['accuracy']['overall']:.3f} | {a['accuracy']['kappa']:.3f} | {c[1]['f1']:.3f} | {c[1]['users']:.3f} | {c[1]['producers']:.3f} | {'yes' if warned else ''} |")
EOF
}
echo "| method | OA | kappa | F1 change | UA change | PA change | warned |"
echo "|---|---:|---:|---:|---:|---:|---|"
run cva_otsu --method cva --threshold otsu
run cva_standardized_otsu --method cva --standardize --threshold otsu
run cva_standardized_ki --method cva --standardize --threshold ki
run cva_zscore_otsu --method cva --normalize zscore --threshold otsu
run cva_zscore_ki --method cva --normalize zscore --threshold ki
run cva_zscore_em --method cva --normalize zscore --threshold em
run cva_histogram_ki --method cva --normalize histogram --threshold ki
run cva_pif_ki --method cva --normalize pif --threshold ki
run irmad_chi2 --method irmad
run irmad_canonical_chi2 --method irmad --mad-scale canonical
run irmad_ki --method irmad --threshold ki
