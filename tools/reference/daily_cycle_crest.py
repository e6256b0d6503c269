"""The daily cycles of two reference temperature series sampled every third hour: the
highest sampled hour against the crest of the first harmonic, for docs/forecasting.md.

Written from the definition, with pandas and numpy alone (not from terrawatt's code): each
clock hour's mean over the values at that hour (hours seen three times or more), the
highest of those means, and the phase of the cycle's first harmonic,
atan2(Σ m_h sin(2πh/24), Σ m_h cos(2πh/24)) · 24 / 2π.

Series (../shared/data):
* solar/pvdaq/system_50_ac_power_2_full_DST_psm3.parquet, `temp_air`, on local solar
  time at the site's longitude (−105.1775°), and the same read 7 h late (naive UTC stamps
  taken as UTC−7: solar time + 7 h);
* building/il-tempF.csv.gz (eemeter's Illinois temperatures) on America/Chicago's clock.
Each is sampled every third hour from 00:00, 01:00 and 02:00 UTC.

Run with any Python that has pandas and pyarrow (prints one line a case), e.g.
/var/tmp/venv-gbm/bin/python tools/reference/daily_cycle_crest.py
"""
import os

import numpy as np
import pandas as pd

DATA = os.path.join(os.path.dirname(__file__), "../../../shared/data")


def cycle(hours, values):
    s = pd.Series(values).groupby(np.asarray(hours)).agg(["mean", "count"])
    s = s[s["count"] >= 3]
    h, m = s.index.values, s["mean"].values
    a, b = (m * np.cos(2 * np.pi * h / 24)).sum(), (m * np.sin(2 * np.pi * h / 24)).sum()
    return int(h[np.argmax(m)]), float((np.arctan2(b, a) * 24 / (2 * np.pi)) % 24)


def cases(name, utc, values, clock_hours):
    for start in (0, 1, 2):
        pick = np.isfinite(values) & (utc.minute == 0) & (utc.hour % 3 == start)
        highest, crest = cycle(clock_hours[pick], values[pick])
        print(f"{name}, every third hour from {start:02d}:00 UTC: highest sampled hour "
              f"{highest:02d}:00, crest {int(crest):02d}:{round(crest % 1 * 60):02d}")


psm3 = pd.read_parquet(os.path.join(DATA, "solar/pvdaq/system_50_ac_power_2_full_DST_psm3.parquet"))
utc = pd.DatetimeIndex(psm3["index"]).tz_convert("UTC")
solar = (utc + pd.to_timedelta(-105.1775 / 15, unit="h")).hour.values
temp = psm3["temp_air"].to_numpy(dtype=float)
cases("PSM3 system 50, solar time", utc, temp, solar)
cases("PSM3 system 50, read 7 h late", utc, temp, (solar + 7) % 24)

il = pd.read_csv(os.path.join(DATA, "building/il-tempF.csv.gz"))
t = pd.DatetimeIndex(pd.to_datetime(il["dt"], utc=True))
cases("Illinois, America/Chicago", t, il["tempF"].to_numpy(dtype=float),
      t.tz_convert("America/Chicago").hour.values)
