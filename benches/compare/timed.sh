# One timed command for the side-by-side benchmark scripts (sourced, after WORK is set):
# `timed LABEL cmd…` runs cmd under /usr/bin/time, its output in $WORK/LABEL.out and
# $WORK/LABEL.err, and prints "LABEL wall cpu rss_kb" (tab-separated; cpu = user + system);
# a failure stops the script with cmd's stderr.
timed() {
  local label=$1; shift
  local tf=$WORK/time.$$
  /usr/bin/time -f "%e %U %S %M" -o "$tf" "$@" >"$WORK/$label.out" 2>"$WORK/$label.err" \
    || { echo "FAILED: $label" >&2; cat "$WORK/$label.err" >&2; exit 1; }
  awk -v l="$label" '{printf "%s\t%s\t%.2f\t%s\n", l, $1, $2 + $3, $4}' "$tf"
}
