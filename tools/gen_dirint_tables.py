"""Write the DIRINT coefficient table.

Output (UTF-8, "\\n" line endings, no comment lines):

* crates/solar/data/dirint.csv -- columns ``kt_bin,zenith_bin,w_bin,dkt_bin,coeff``;
  one row per cell of the 6 x 6 x 5 x 7 table (kt' bin 1..6, zenith bin 1..6,
  precipitable-water bin 1..5, delta-kt' bin 1..7; 1,260 rows). Bins are 1-based,
  numbered as in the paper and in pvlib's ``_dirint_bins``. The DIRINT DNI is the
  DISC DNI multiplied by ``coeff``.

Source: R. Perez, P. Ineichen, E. Maxwell, R. Seals, A. Zelenka, "Dynamic
global-to-direct irradiance conversion models", ASHRAE Transactions 98(1), 354-369
(1992). The numbers are read from the copy pvlib ships
(``pvlib.irradiance._get_dirint_coeffs()``), a float64 array of shape (6, 6, 7, 5).
Its axes are ``[kt_prime_bin, zenith_bin, delta_kt_prime_bin, w_bin]``: the third
axis (7 entries) is delta-kt', the fourth (5 entries) is w. pvlib looks a value up
as ``coeffs[kt_bin-1, zenith_bin-1, dkt_bin-1, w_bin-1]``; the script checks that
this lookup is still the one in pvlib's ``_dirint_coeffs`` source and that the
shape is as above. Each number is written as Python's ``repr`` of the float; every
written number parses back to the same float.

Rerun from the repository root:

    python3 -m venv /tmp/venv-pvlib && /tmp/venv-pvlib/bin/pip install pvlib pandas numpy
    /tmp/venv-pvlib/bin/python tools/gen_dirint_tables.py

The output is deterministic: rows ordered by kt_bin, zenith_bin, w_bin, dkt_bin
(the last varying fastest).
"""

import inspect
import re
import sys
from pathlib import Path

import numpy as np
import pvlib
from pvlib import irradiance
from pvlib.irradiance import _get_dirint_coeffs

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "crates" / "solar" / "data" / "dirint.csv"

N_KT, N_ZENITH, N_DKT, N_W = 6, 6, 7, 5

# Spot checks against the literal rows in pvlib's source (1-based bins):
# (kt, zenith, w, dkt) -> coeff.
ANCHORS = {
    (1, 1, 1, 1): 0.38523,
    (1, 1, 4, 6): 3.01237,   # row 6 of coeffs[1, 1], column 4
    (6, 6, 5, 7): 0.79439,   # last value of the table
    (6, 6, 4, 7): 0.31693,
}


def main():
    lookup = inspect.getsource(irradiance._dirint_coeffs)
    pattern = (r"coeffs\[kt_prime_bin\s*-\s*1,\s*zenith_bin\s*-\s*1,\s*"
               r"delta_kt_prime_bin\s*-\s*1,\s*w_bin\s*-\s*1\]")
    if not re.search(pattern, lookup):
        sys.exit("pvlib's _dirint_coeffs no longer indexes "
                 "coeffs[kt, zenith, delta_kt, w]; check the axis order")

    coeffs = _get_dirint_coeffs()
    if coeffs.shape != (N_KT, N_ZENITH, N_DKT, N_W):
        sys.exit(f"unexpected shape {coeffs.shape}")
    if coeffs.dtype != np.float64 or not np.isfinite(coeffs).all():
        sys.exit("table is not all finite float64")
    if not (coeffs > 0).all():
        sys.exit("table has a non-positive coefficient")

    lines = ["kt_bin,zenith_bin,w_bin,dkt_bin,coeff"]
    for i in range(N_KT):
        for j in range(N_ZENITH):
            for w in range(N_W):
                for d in range(N_DKT):
                    v = float(coeffs[i, j, d, w])
                    key = (i + 1, j + 1, w + 1, d + 1)
                    if key in ANCHORS and ANCHORS[key] != v:
                        sys.exit(f"anchor mismatch at {key}: {v!r} != {ANCHORS[key]!r}")
                    if float(repr(v)) != v:
                        sys.exit(f"repr round trip failed for {v!r}")
                    lines.append(",".join([str(k) for k in key] + [repr(v)]))

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}: {len(lines) - 1} rows "
          f"({N_KT} kt' x {N_ZENITH} zenith x {N_W} w x {N_DKT} delta-kt' bins), "
          f"pvlib {pvlib.__version__}")


if __name__ == "__main__":
    main()
