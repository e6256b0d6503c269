# Timed steps for the benchmark scripts that repeat a sequence of commands (sourced, after
# WORK is set): `timed NAME cmd…` runs cmd under /usr/bin/time, its output appended to
# $WORK/logs/NAME.log, and records "NAME wall user sys maxrss_kb" in $STEPS; a failure
# stops the script naming the log. `median_row NAME WIDTH` prints the median wall, CPU
# (user + system) and peak RSS in MiB of NAME's runs.
mkdir -p "$WORK/logs"
STEPS=$WORK/steps.tsv
: >"$STEPS"
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/logs/t" "$@" >>"$WORK/logs/$name.log" 2>&1 \
    || { echo "FAILED: $name (log: $WORK/logs/$name.log)" >&2; exit 1; }
  echo "$name $(cat "$WORK/logs/t")" >>"$STEPS"
}
median_row() {
  awk -v n="$1" '$1 == n {print $2, $3 + $4, $5}' "$STEPS" | sort -n | \
    awk -v n="$1" -v w="$2" '{t[NR]=$1; c[NR]=$2; m[NR]=$3} END {k=int((NR+1)/2); printf "%-*s %8.2f %8.2f %10.0f\n", w, n, t[k], c[k], m[k]/1024}'
}
