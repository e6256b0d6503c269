#!/usr/bin/env bash
# The change methods of issue 20, timed: the index methods on the raster_change benchmark's
# 26.2 MP pair (mapme_vegetation Sentinel-2 B04/B08, 2017-05-03 → 2017-07-22, upsampled
# bilinear to SIZE × SIZE) beside an earlier build (BASE, e.g. the build before these
# methods: the ratio must stay under 1.2), and the multi-band methods (centred CVA, z-score
# CVA, IR-MAD) on the OSCD Norcia pair's four 10 m bands (B02, B03, B04, B08) upsampled
# NORCIA times (bilinear). Median of REPEATS runs of each, under /usr/bin/time.
#
# Setup: apt-get install -y gdal-bin; a release build (cargo build --release). For BASE:
#   git worktree add /var/tmp/tw-base <commit> && (cd /var/tmp/tw-base && cargo build --release)
# Run from the repo root:
#   TERRAWATT=target/release/terrawatt BASE=/path/to/old/terrawatt bash benches/compare/change_methods.sh
# Environment: TERRAWATT (default target/release/terrawatt), BASE (optional), WORK (scratch,
# default /var/tmp/tw-bench/change_methods), SIZE (5120), NORCIA (13), REPEATS (3).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
TW=$(readlink -f "${TERRAWATT:-$repo/target/release/terrawatt}")
BASE=${BASE:-}
WORK=${WORK:-/var/tmp/tw-bench/change_methods}
SIZE=${SIZE:-5120}
NORCIA=${NORCIA:-13}
REPEATS=${REPEATS:-3}
DATA=$repo/../shared/data/raster
mkdir -p "$WORK/data"
source benches/compare/steps.sh

s2() { echo "$WORK/data/s2_$1_$2_$SIZE.tif"; }
for d in 20170503 20170722; do
  for b in B04 B08; do
    [ -s "$(s2 $d $b)" ] || gdal_translate -q -outsize "$SIZE" "$SIZE" -r bilinear -co TILED=YES \
      -co COMPRESS=DEFLATE "$DATA/mapme_vegetation/s2a/S2A_38PLR_${d}_0_L2A_${b}.tif" "$(s2 $d $b)"
  done
done
nw=$((385 * NORCIA)); nh=$((241 * NORCIA))
nc() { echo "$WORK/data/norcia_$1_$2_$NORCIA.tif"; }
for date in imgs_1 imgs_2; do
  for b in B02 B03 B04 B08; do
    src=$(ls "$DATA/oscd_norcia/$date/"*_"$b".tif)
    [ -s "$(nc $date $b)" ] || gdal_translate -q -outsize "$nw" "$nh" -r bilinear -co TILED=YES \
      -co COMPRESS=DEFLATE "$src" "$(nc $date $b)"
  done
done
cat "$WORK"/data/*.tif >/dev/null

ndvi=(raster change --index ndvi --before-red "$(s2 20170503 B04)" --before-nir "$(s2 20170503 B08)"
      --after-red "$(s2 20170722 B04)" --after-nir "$(s2 20170722 B08)" --quiet)
bands=()
for r in blue:B02 green:B03 red:B04 nir:B08; do
  bands+=(--before-"${r%%:*}" "$(nc imgs_1 "${r#*:}")" --after-"${r%%:*}" "$(nc imgs_2 "${r#*:}")")
done
out=$WORK/out; mkdir -p "$out"
for rep in $(seq "$REPEATS"); do
  for t in -0.1 otsu ki em; do
    timed "ndvi_$t" "$TW" "${ndvi[@]}" --threshold "$t" --out "$out/ndvi.tif"
    if [ -n "$BASE" ] && [[ $t == -0.1 || $t == otsu ]]; then
      timed "base_ndvi_$t" "$BASE" "${ndvi[@]}" --threshold "$t" --out "$out/base.tif"
    fi
  done
  timed cva_standardized "$TW" raster change --method cva --standardize "${bands[@]}" --out "$out/cva.tif" --quiet
  timed cva_zscore_ki "$TW" raster change --method cva --normalize zscore --threshold ki "${bands[@]}" --out "$out/z.tif" --quiet
  timed irmad "$TW" --report "$WORK/irmad.json" raster change --method irmad "${bands[@]}" --out "$out/mad.tif" --quiet
  timed irmad_2GB "$TW" --report "$WORK/irmad2.json" raster change --method irmad --memory 2GB "${bands[@]}" --out "$out/mad.tif" --quiet
done
echo "inputs: s2a pair ${SIZE}² = $((SIZE * SIZE / 1000000)) MP (2 bands per date); Norcia ${nw} × ${nh} = $((nw * nh / 1000)) kP (4 bands per date)"
printf '%-22s %8s %8s %10s\n' step "wall s" "CPU s" "RSS MiB"
for n in ndvi_-0.1 base_ndvi_-0.1 ndvi_otsu base_ndvi_otsu ndvi_ki ndvi_em cva_standardized cva_zscore_ki irmad irmad_2GB; do
  grep -q "^$n " "$STEPS" && median_row "$n" 22
done
/usr/bin/python3 - "$WORK/irmad.json" "$nw" "$nh" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]["change"]["irmad"]
print(f"IR-MAD: {r['iterations']} iterations, converged {r['converged']}, correlations {[round(x, 6) for x in r['correlations']]}")
EOF
