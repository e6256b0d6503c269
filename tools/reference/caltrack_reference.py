#!/usr/bin/env python3
"""Plain numpy reference implementation of docs/baselines.md, sections 1-7.

CalTRACK-style building baselines (daily and billing degree-day models, hourly
time-of-week-and-temperature models), ASHRAE Guideline 14 goodness of fit and
savings with their fractional savings uncertainty. Every step follows the page;
where the page leaves a choice open, the choice made here is marked "CHOICE:".

Usage (from the repository root):

    /tmp/venv-ref/bin/python tools/reference/caltrack_reference.py [DATA_DIR] [--out FILE]

DATA_DIR defaults to /work/shared/data/building. The output defaults to
crates/building/tests/fixtures/caltrack_reference.json. Only numpy, scipy.stats
(Student t) and the standard library are used; timestamps are handled with
datetime and their UTC offsets, and every join is on integer UTC seconds.
"""

import csv
import datetime as dt
import gzip
import hashlib
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy
from scipy import stats

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
HOUR = 3600
DAY = 86400

# Section 1: a last row with a value and no end lasts one nominal interval.
NOMINAL_SECONDS = {"daily": DAY, "hourly": HOUR}
# Section 2: temperature coverage a period needs (hourly: one present reading).
COVERAGE_THRESHOLD = {"daily": 0.50, "billing": 0.90}
BILLING_DAY_COVERAGE = 0.50

# Section 4 defaults.
BP_MIN, BP_MAX = 30, 90
MIN_NONZERO_DD_PERIODS = 10
MIN_DD_PER_YEAR = 20.0

# Section 5.
OCCUPANCY_THRESHOLD = 0.65
DEFAULT_ENDPOINTS = [30.0, 45.0, 55.0, 65.0, 75.0, 90.0]
MIN_BIN_HOURS = 20

# Section 7: Sun & Baltazar (2013) coefficients (a, b, c) of a*M^2 + b*M + c, which
# replaces ASHRAE Guideline 14's constant 1.26.
#  - billing and daily: CalTRACK 2.0 methods, section 4.3.2.4.6 ("empirical
#    coefficients proposed by Sun and Baltazar [2013]": billing a = -0.00022,
#    b = 0.03306, d = 0.94054; daily a = -0.00024, b = 0.03535, d = 1.00286),
#    openeemeter/caltrack docs/methods.rst; the same numbers are in eemeter
#    (openeemeter/eemeter eemeter/derivatives.py, _compute_fsu_error) and in
#    nmecr (kW-Labs/nmecr R/calculate_savings_and_uncertainty.R).
#  - hourly: neither CalTRACK nor eemeter publishes coefficients for hourly data;
#    nmecr uses the plain Guideline 14 factor 1.26 for hourly and 15-minute
#    models. CHOICE: hourly (a, b, c) = (0, 0, 1.26), so that for hourly data the
#    CalTRACK figure equals the Guideline 14 figure.
FSU_COEFFICIENTS = {
    "billing": (-0.00022, 0.03306, 0.94054),
    "daily": (-0.00024, 0.03535, 1.00286),
    "hourly": (0.0, 0.0, 1.26),
}
DAYS_PER_MONTH = 30.4375
G14_FACTOR = 1.26

# Section 6: Guideline 14 calibration criteria (no criterion for daily data).
G14_CRITERIA = {"billing": (0.15, 0.05), "hourly": (0.30, 0.10)}


class InputError(Exception):
    pass


# ---------------------------------------------------------------------------
# Section 1: inputs
# ---------------------------------------------------------------------------

def seconds(instant):
    """UTC seconds of an aware datetime, as an exact integer."""
    return (instant - EPOCH) // dt.timedelta(seconds=1)


def rfc3339(instant):
    return instant.isoformat()


def parse_instant(text, path, line):
    try:
        instant = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{path}: row {line}: unparseable time {text!r}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InputError(f"{path}: row {line}: time {text!r} has no UTC offset")
    return instant


def parse_value(text, path, line):
    """A float, or nan for a missing value (empty, nan, NA)."""
    stripped = text.strip()
    if stripped == "" or stripped.lower() in ("nan", "na"):
        return math.nan
    try:
        return float(stripped)
    except ValueError:
        raise InputError(f"{path}: row {line}: unparseable value {text!r}")


def read_rows(path):
    """(header, [(line number, fields)]) of a CSV or gzipped CSV file."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [(i + 2, fields) for i, fields in enumerate(reader) if fields]
    return header, rows


def check_time_order(instants, path):
    for (line_a, a), (line_b, b) in zip(instants, instants[1:]):
        if seconds(b) == seconds(a):
            raise InputError(f"{path}: row {line_b}: duplicate timestamp {rfc3339(b)}")
        if seconds(b) < seconds(a):
            raise InputError(f"{path}: row {line_b}: out of time order ({rfc3339(b)} after {rfc3339(a)})")


def load_meter(path, interval, time_column="start", value_column="value"):
    """Meter periods [s, e) in file order, and the rows left out."""
    header, rows = read_rows(path)
    t_col, v_col = header.index(time_column), header.index(value_column)
    e_col = header.index("end") if "end" in header else None
    parsed = []
    for line, fields in rows:
        start = parse_instant(fields[t_col], path, line)
        end = None
        if e_col is not None and fields[e_col].strip():
            end = parse_instant(fields[e_col], path, line)
        parsed.append((line, start, end, parse_value(fields[v_col], path, line)))
    check_time_order([(line, start) for line, start, _, _ in parsed], path)

    periods, left_out = [], []
    for i, (line, start, end, value) in enumerate(parsed):
        last = i == len(parsed) - 1
        if end is None:
            if not last:
                end = parsed[i + 1][1]
            elif math.isnan(value):
                break  # end marker: closes the previous period, not a period itself
            elif interval == "billing":
                left_out.append({"row": line, "start": rfc3339(start), "reason": "last billing row has no end"})
                break
            else:
                end = start + dt.timedelta(seconds=NOMINAL_SECONDS[interval])
        if not math.isnan(value) and value < 0:
            raise InputError(f"{path}: row {line}: negative usage {value}")
        if seconds(end) <= seconds(start):
            raise InputError(f"{path}: row {line}: period of zero or negative length")
        periods.append({"row": line, "start": start, "end": end,
                        "s": seconds(start), "e": seconds(end), "value": value})
    return periods, left_out


def load_temperature(path):
    """Hourly readings: UTC seconds and °F (nan where missing), in time order."""
    header, rows = read_rows(path)
    t_col = header.index("dt") if "dt" in header else 0
    v_col = next((header.index(c) for c in ("tempF", "tempC", "temperature") if c in header), 1)
    celsius = header[v_col] == "tempC"
    instants = [(line, parse_instant(fields[t_col], path, line)) for line, fields in rows]
    check_time_order(instants, path)
    values = np.array([parse_value(fields[v_col], path, line) for line, fields in rows])
    if celsius:
        values = values * 9.0 / 5.0 + 32.0
    return {"ts": np.array([seconds(i) for _, i in instants], dtype=np.int64), "temp": values}


# ---------------------------------------------------------------------------
# Section 2: period temperatures and masking
# ---------------------------------------------------------------------------

def present_readings(temps, s, e):
    """The non-missing readings whose timestamps fall in [s, e)."""
    i0 = np.searchsorted(temps["ts"], s, side="left")
    i1 = np.searchsorted(temps["ts"], e, side="left")
    values = temps["temp"][i0:i1]
    return values[~np.isnan(values)]


def period_temperature(temps, s, e):
    """(mean temperature or nan, number present, coverage) of [s, e)."""
    present = present_readings(temps, s, e)
    expected = (e - s) / HOUR
    mean = float(np.mean(present)) if len(present) else math.nan
    return mean, len(present), len(present) / expected


def billing_days(temps, s, e):
    """Days of 24 h counted from s (the last may be shorter): [(length in days, mean T)]
    for the days with coverage >= 50 %; the others are left out."""
    days = []
    day_start = s
    while day_start < e:
        day_end = min(day_start + DAY, e)
        mean, _, coverage = period_temperature(temps, day_start, day_end)
        if coverage >= BILLING_DAY_COVERAGE:
            days.append(((day_end - day_start) / DAY, mean))
        day_start = day_end
    return days


def prepare_periods(periods, temps, interval):
    """Adds to each period: T, coverage, n_days, the day units its degree days are
    averaged over, and the list of masking reasons (empty when unmasked)."""
    t_first = int(temps["ts"][0])
    t_last_end = int(temps["ts"][-1]) + HOUR
    for p in periods:
        mean, present, coverage = period_temperature(temps, p["s"], p["e"])
        p["T"], p["present"], p["coverage"] = mean, present, coverage
        reasons = []
        if math.isnan(p["value"]):
            reasons.append("usage missing")
        if p["e"] <= t_first or p["s"] >= t_last_end:
            # CHOICE: "outside temperature data" when [s, e) does not overlap the
            # temperature file's span [first reading, last reading + 1 h) at all.
            reasons.append("outside temperature data")
        elif interval == "hourly":
            if present < 1:
                # CHOICE: the page gives no wording for hourly periods.
                reasons.append("no temperature reading")
        else:
            threshold = COVERAGE_THRESHOLD[interval]
            if coverage < threshold:
                reasons.append(f"temperature coverage {coverage * 100:.1f} % < {threshold * 100:.0f} %")
        p["reasons"] = reasons
        if interval == "billing":
            p["n_days"] = (p["e"] - p["s"]) / DAY
            p["units"] = billing_days(temps, p["s"], p["e"])
        else:
            # Daily periods have n_days = 1 (section 4), whatever their length
            # (23 h and 25 h on DST changes). Hourly: the period's length in days
            # (used only for M in section 7).
            p["n_days"] = 1.0 if interval == "daily" else (p["e"] - p["s"]) / DAY
            p["units"] = [(1.0, mean)]
    return periods


def masked_report(periods):
    masked = [p for p in periods if p["reasons"]]
    usage = [p["value"] for p in masked if not math.isnan(p["value"])]
    return {
        "count": len(masked),
        "usage": float(sum(usage)),
        "periods": [{"start": rfc3339(p["start"]), "end": rfc3339(p["end"]), "reasons": p["reasons"]}
                    for p in masked],
    }


def hdd(units, h):
    """Degree days of a period at heating balance point h: the mean over its day
    units, weighted by their length (a daily period is one unit of weight 1)."""
    total = sum(w for w, _ in units)
    return sum(w * max(h - t, 0.0) for w, t in units) / total


def cdd(units, c):
    total = sum(w for w, _ in units)
    return sum(w * max(t - c, 0.0) for w, t in units) / total


# ---------------------------------------------------------------------------
# Section 3: baseline period and sufficiency
# ---------------------------------------------------------------------------

def local_midnight(date, periods):
    """A date without a time: local midnight in the meter's clock, with the offset
    of the meter row that starts on that local date, else of the nearest row.
    CHOICE: of several rows on that date (hourly data) the first; "nearest" is by
    the rows' local wall-clock start against the date's midnight, ties to the
    earlier row."""
    for p in periods:
        if p["start"].date() == date:
            return dt.datetime.combine(date, dt.time(0), tzinfo=dt.timezone(p["start"].utcoffset()))
    naive = dt.datetime.combine(date, dt.time(0))
    nearest = min(periods, key=lambda p: abs(p["start"].replace(tzinfo=None) - naive))
    return dt.datetime.combine(date, dt.time(0), tzinfo=dt.timezone(nearest["start"].utcoffset()))


def select(periods, start, end):
    return [p for p in periods if p["s"] >= seconds(start) and p["e"] <= seconds(end)]


def overlap(a0, a1, b0, b1):
    return max(0, min(a1, b1) - max(a0, b0))


def sufficiency(baseline, all_periods, interval):
    """CHOICES: the baseline is the selected periods; it spans from the first
    period's start to the last period's end; its "days" are that span's time in
    days (24 h), and a day's part covered by unmasked periods counts by its length;
    "calendar month" is the month of the year 1..12 in the meter's clock (as in
    section 5), each month's days being the baseline's days that fall in it."""
    if not baseline:
        return {"sufficient": False, "span_days": 0.0, "covered_fraction": 0.0, "months": [],
                "disqualifications": ["no baseline periods"], "warnings": []}
    span0, span1 = baseline[0]["s"], baseline[-1]["e"]
    span_days = (span1 - span0) / DAY
    unmasked = [p for p in baseline if not p["reasons"]]
    covered_days = sum(p["e"] - p["s"] for p in unmasked) / DAY
    covered_fraction = covered_days / span_days

    disqualifications, warnings = [], []
    if span_days < 365:
        disqualifications.append(f"baseline spans {span_days:.2f} days < 365")
    if covered_fraction < 0.90:
        disqualifications.append(f"{covered_fraction * 100:.1f} % of the baseline's days covered < 90 %")

    # Local calendar-month intervals that meet the span.
    first = baseline[0]["start"].date().replace(day=1)
    month_days = {m: 0 for m in range(1, 13)}
    month_covered = {m: 0 for m in range(1, 13)}
    year, month = first.year, first.month
    while True:
        m0 = seconds(local_midnight(dt.date(year, month, 1), all_periods))
        ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
        m1 = seconds(local_midnight(dt.date(ny, nm, 1), all_periods))
        if m0 >= span1:
            break
        month_days[month] += overlap(span0, span1, m0, m1)
        month_covered[month] += sum(overlap(p["s"], p["e"], m0, m1) for p in unmasked)
        year, month = ny, nm

    months = []
    for m in range(1, 13):
        days = month_days[m] / DAY
        covered = month_covered[m] / DAY
        fraction = covered / days if days > 0 else 0.0
        months.append({"month": m, "baseline_days": days, "covered_days": covered, "fraction": fraction})
        if interval == "hourly":
            if fraction < 0.90:
                disqualifications.append(f"month {m}: {fraction * 100:.1f} % of its days covered < 90 %")
        elif fraction < 0.50:
            warnings.append(f"month {m}: {fraction * 100:.1f} % of its days covered < 50 %")
    return {"sufficient": not disqualifications, "span_days": span_days,
            "covered_days": covered_days, "covered_fraction": covered_fraction,
            "months": months, "disqualifications": disqualifications, "warnings": warnings}


# ---------------------------------------------------------------------------
# Section 4: daily and billing models
# ---------------------------------------------------------------------------

def balance_point_grid(step, lo=BP_MIN, hi=BP_MAX):
    grid, i = [], 0
    while lo + i * step <= hi:
        grid.append(float(lo + i * step))
        i += 1
    return grid


def qualifies(dd, n_days, interval):
    """>= 20 degree days a year and, for daily data, at least 10 periods with non-zero
    degree days (CalTRACK 2.0 3.2.2.2.1 exempts billing data from the count)."""
    nonzero = int(np.sum(dd > 0))
    per_year = float(np.sum(dd * n_days) * 365.0 / np.sum(n_days))
    count_ok = interval == "billing" or nonzero >= MIN_NONZERO_DD_PERIODS
    return count_ok and per_year >= MIN_DD_PER_YEAR


def weighted_fit(X, y, w):
    """Weighted least squares (w = 1: ordinary least squares)."""
    sw = np.sqrt(w)
    beta, _, _, _ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    return beta


def slope_p_values(X, y, w, beta):
    """Two-sided p-values of the coefficients (Student t, n - k degrees of freedom),
    from the weighted residual variance; used only with max_p_value."""
    n, k = X.shape
    resid = y - X @ beta
    sigma2 = float(np.sum(w * resid ** 2) / (n - k))
    cov = sigma2 * np.linalg.inv(X.T @ (X * w[:, None]))
    t_values = beta / np.sqrt(np.diag(cov))
    return 2.0 * stats.t.sf(np.abs(t_values), n - k)


def fit_degree_day_models(train, interval, step, max_p_value=None):
    """Candidates in the page's order, the qualified ones, and the selected model."""
    y = np.array([p["value"] / p["n_days"] for p in train])  # usage per day
    n_days = np.array([p["n_days"] for p in train])
    w = n_days if interval == "billing" else np.ones(len(train))
    n = len(train)
    grid = balance_point_grid(step)
    hdd_of = {h: np.array([hdd(p["units"], h) for p in train]) for h in grid}
    cdd_of = {c: np.array([cdd(p["units"], c) for p in train]) for c in grid}
    good_h = [h for h in grid if qualifies(hdd_of[h], n_days, interval)]
    good_c = [c for c in grid if qualifies(cdd_of[c], n_days, interval)]

    specs = [("intercept_only", None, None)]
    specs += [("hdd_only", h, None) for h in good_h]
    specs += [("cdd_only", None, c) for c in good_c]
    specs += [("hdd_cdd", h, c) for h in good_h for c in good_c if h <= c]

    y_mean_w = float(np.sum(w * y) / np.sum(w))
    ss_tot = float(np.sum(w * (y - y_mean_w) ** 2))
    candidates = []
    for kind, h, c in specs:
        columns = [np.ones(n)]
        if h is not None:
            columns.append(hdd_of[h])
        if c is not None:
            columns.append(cdd_of[c])
        X = np.column_stack(columns)
        k = X.shape[1]
        if kind == "intercept_only":
            beta = np.array([y_mean_w])
        else:
            beta = weighted_fit(X, y, w)
        fitted = X @ beta
        r2 = 1.0 - float(np.sum(w * (y - fitted) ** 2)) / ss_tot
        adj_r2 = 1.0 - (1.0 - r2) * (n - 1) / (n - k)
        beta0 = float(beta[0])
        beta_h = float(beta[1]) if h is not None else None
        beta_c = float(beta[-1]) if c is not None else None
        qualified = beta0 >= 0 and (beta_h is None or beta_h > 0) and (beta_c is None or beta_c > 0)
        if qualified and max_p_value is not None and k > 1:
            p_values = slope_p_values(X, y, w, beta)[1:]
            qualified = bool(np.all(p_values < max_p_value))
        candidates.append({"type": kind, "h": h, "c": c, "beta0": beta0, "beta_h": beta_h,
                           "beta_c": beta_c, "r2": r2, "adj_r2": adj_r2, "n": n, "k": k,
                           "qualified": qualified})

    selected = None
    for cand in candidates:
        if cand["qualified"] and (selected is None or cand["adj_r2"] > selected["adj_r2"]):
            selected = cand  # ties keep the earlier candidate
    return {"grid": grid, "qualifying_h": good_h, "qualifying_c": good_c,
            "candidates": candidates, "selected": selected}


def predict_degree_day(model, p):
    """Energy of a period: n_days * (b0 + bh*HDD(h) + bc*CDD(c))."""
    per_day = model["beta0"]
    if model["h"] is not None:
        per_day += model["beta_h"] * hdd(p["units"], model["h"])
    if model["c"] is not None:
        per_day += model["beta_c"] * cdd(p["units"], model["c"])
    return p["n_days"] * per_day


# ---------------------------------------------------------------------------
# Section 5: hourly TOWT
# ---------------------------------------------------------------------------

def hour_of_week(instant):
    """24 * local weekday (Monday = 0) + local hour, in the row's own offset."""
    return 24 * instant.weekday() + instant.hour


def min_norm_wls(X, y, w):
    """Weighted least squares, minimum-norm solution: singular values of the
    weighted design below max(n, p) * eps * sigma_max are treated as zero."""
    sw = np.sqrt(w)
    A, b = X * sw[:, None], y * sw
    U, S, Vt = np.linalg.svd(A, full_matrices=False)
    cutoff = max(A.shape) * np.finfo(float).eps * S[0]
    keep = S >= cutoff
    beta = Vt[keep].T @ ((U[:, keep].T @ b) / S[keep])
    return beta, int(np.sum(keep))


def bin_index(temperature, endpoints):
    """Bins (-inf, b1], (b1, b2], ..., (bk, inf): the number of endpoints below T."""
    return np.searchsorted(np.array(endpoints), temperature, side="left")


def reduce_endpoints(temperature):
    endpoints = list(DEFAULT_ENDPOINTS)
    while endpoints:
        counts = np.bincount(bin_index(temperature, endpoints), minlength=len(endpoints) + 1)
        short = [i for i, count in enumerate(counts) if count < MIN_BIN_HOURS]
        if not short:
            break
        i = short[0]
        if i == len(endpoints):
            del endpoints[i - 1]  # last bin: remove its left endpoint
        else:
            del endpoints[i]  # remove its right endpoint
    return endpoints


def segmented_temperatures(temperature, endpoints):
    """The k + 1 features f_0 .. f_k (they sum to T)."""
    T = np.asarray(temperature, dtype=float)
    if not endpoints:
        return T[:, None]
    k = len(endpoints)
    features = [np.minimum(T, endpoints[0])]
    for j in range(k - 1):
        features.append(np.minimum(np.maximum(T - endpoints[j], 0.0), endpoints[j + 1] - endpoints[j]))
    features.append(np.maximum(T - endpoints[-1], 0.0))
    return np.column_stack(features)


def towt_design(T, how, occupied, endpoints_occ, endpoints_unocc):
    n = len(T)
    indicators = np.zeros((n, 168))
    indicators[np.arange(n), how] = 1.0
    occ = occupied[how].astype(float)[:, None]
    f_occ = segmented_temperatures(T, endpoints_occ) * occ
    f_unocc = segmented_temperatures(T, endpoints_unocc) * (1.0 - occ)
    return np.hstack([indicators, f_occ, f_unocc])


def fit_towt(train):
    T = np.array([p["T"] for p in train])
    y = np.array([p["value"] for p in train])
    how = np.array([hour_of_week(p["start"]) for p in train])
    month = np.array([p["start"].month for p in train])
    models = {}
    for m in range(1, 13):
        if not np.any(month == m):
            models[m] = None  # no baseline hours: no model
            continue
        prev_m, next_m = (12 if m == 1 else m - 1), (1 if m == 12 else m + 1)
        weight = np.where(month == m, 1.0, np.where((month == prev_m) | (month == next_m), 0.5, 0.0))
        rows = weight > 0
        Ts, ys, hs, ws = T[rows], y[rows], how[rows], weight[rows]

        # Occupancy: WLS of usage on 1, CDD65, HDD50; share of hours above the fit.
        X_occ = np.column_stack([np.ones(len(Ts)), np.maximum(Ts - 65.0, 0.0), np.maximum(50.0 - Ts, 0.0)])
        beta_occ, _ = min_norm_wls(X_occ, ys, ws)
        above = ys > X_occ @ beta_occ
        occupied = np.zeros(168, dtype=bool)
        for hw in range(168):
            count = int(np.sum(hs == hw))
            if count > 0:
                occupied[hw] = int(np.sum(above[hs == hw])) / count > OCCUPANCY_THRESHOLD

        endpoints_occ = reduce_endpoints(Ts[occupied[hs]])
        endpoints_unocc = reduce_endpoints(Ts[~occupied[hs]])
        X = towt_design(Ts, hs, occupied, endpoints_occ, endpoints_unocc)
        names = ([f"how{i}" for i in range(168)]
                 + [f"occupied_f{j}" for j in range(len(endpoints_occ) + 1)]
                 + [f"unoccupied_f{j}" for j in range(len(endpoints_unocc) + 1)])
        kept = np.any(X != 0.0, axis=0)
        beta_kept, rank = min_norm_wls(X[:, kept], ys, ws)
        beta = np.zeros(X.shape[1])
        beta[kept] = beta_kept
        n_occ = len(endpoints_occ) + 1
        models[m] = {
            "month": m,
            "n_hours_month": int(np.sum(month == m)),
            "n_rows": int(np.sum(rows)),
            "occupancy_fit": [float(v) for v in beta_occ],
            "occupied": occupied,
            "endpoints_occupied": endpoints_occ,
            "endpoints_unoccupied": endpoints_unocc,
            "beta": beta,
            "coef_how": beta[:168],
            "coef_occupied": beta[168:168 + n_occ],
            "coef_unoccupied": beta[168 + n_occ:],
            "n_columns": int(np.sum(kept)),
            "rank": rank,
            "dropped_columns": [name for name, k in zip(names, kept) if not k],
        }
    return models


def predict_towt(models, p):
    model = models[p["start"].month]
    hw = hour_of_week(p["start"])
    if model["occupied"][hw]:
        features = segmented_temperatures([p["T"]], model["endpoints_occupied"])[0]
        return float(model["coef_how"][hw] + features @ model["coef_occupied"])
    features = segmented_temperatures([p["T"]], model["endpoints_unoccupied"])[0]
    return float(model["coef_how"][hw] + features @ model["coef_unoccupied"])


# ---------------------------------------------------------------------------
# Sections 6 and 7: goodness of fit and savings
# ---------------------------------------------------------------------------

def g14_metrics(y, yhat, p, interval):
    y, yhat = np.asarray(y), np.asarray(yhat)
    n = len(y)
    resid = y - yhat
    y_mean = float(np.mean(y))
    cvrmse = math.sqrt(float(np.sum(resid ** 2)) / (n - p)) / y_mean
    nmbe = float(np.sum(resid)) / ((n - p) * y_mean)
    r2 = 1.0 - float(np.sum(resid ** 2)) / float(np.sum((y - y_mean) ** 2))
    e = resid - np.mean(resid)
    rho = float(np.sum(e[1:] * e[:-1]) / np.sum(e ** 2))
    criteria = None
    if interval in G14_CRITERIA:
        cv_max, nmbe_max = G14_CRITERIA[interval]
        criteria = {"cvrmse_max": cv_max, "nmbe_abs_max": nmbe_max,
                    "pass": cvrmse <= cv_max and abs(nmbe) <= nmbe_max}
    return {"n": n, "p": p, "y_mean": y_mean, "cvrmse": cvrmse, "nmbe": nmbe, "r2": r2,
            "rho": rho, "criteria": criteria}


def savings(reporting, predicted, metrics, interval, confidence):
    observed_total = float(sum(p["value"] for p in reporting))
    predicted_total = float(sum(predicted))
    avoided = predicted_total - observed_total
    fraction = avoided / predicted_total
    n, p, rho, cv = metrics["n"], metrics["p"], metrics["rho"], metrics["cvrmse"]
    m = len(reporting)
    months = sum(q["n_days"] for q in reporting) / DAYS_PER_MONTH
    n_prime = min(n * (1.0 - rho) / (1.0 + rho), float(n))
    # t with the baseline's n - p degrees of freedom (CalTRACK 4.3.2.4.2, eemeter)
    dof = n - p
    t = float(stats.t.ppf(0.5 + confidence / 2.0, dof)) if dof > 0 else None
    a, b, c = FSU_COEFFICIENTS[interval]
    factor = a * months ** 2 + b * months + c
    fsu = fsu_g14 = band = band_g14 = None
    if t is not None:
        root = math.sqrt((n / n_prime) * (1.0 + 2.0 / n_prime) * (1.0 / m))
        # Absolute bands: dA = (dA/A) * A = factor * t * CV * root * P, defined
        # even where F <= 0, where the relative figures are null.
        band = factor * t * cv * root * predicted_total
        band_g14 = G14_FACTOR * t * cv * root * predicted_total
        if fraction > 0:
            fsu = factor * t * cv * root / fraction
            fsu_g14 = G14_FACTOR * t * cv * root / fraction
    return {
        "predicted_total": predicted_total, "observed_total": observed_total,
        "avoided": avoided, "fractional_savings": fraction,
        "confidence": confidence, "n": n, "p": p, "rho": rho, "m": m, "M": months,
        "n_prime": n_prime, "t_dof": dof, "t": t,
        "fsu_coefficients": {"a": a, "b": b, "c": c}, "fsu_factor": factor,
        "fsu": fsu, "fsu_g14": fsu_g14,
        "avoided_band": band, "avoided_band_g14": band_g14,
    }


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

def run_case(name, meter_path, temps, interval, step, bounds, confidence=0.90, full_hourly=True):
    periods, left_out = load_meter(meter_path, interval)
    prepare_periods(periods, temps, interval)
    (b_start, b_end), (r_start, r_end) = bounds
    b0, b1 = local_midnight(b_start, periods), local_midnight(b_end, periods)
    r0, r1 = local_midnight(r_start, periods), local_midnight(r_end, periods)
    baseline = select(periods, b0, b1)
    reporting_all = select(periods, r0, r1)
    train = [p for p in baseline if not p["reasons"]]

    out = {"case": name, "meter_file": Path(meter_path).name, "interval": interval,
           "baseline_bounds": {"start": rfc3339(b0), "end": rfc3339(b1)},
           "reporting_bounds": {"start": rfc3339(r0), "end": rfc3339(r1)},
           "rows_left_out": left_out}
    if interval != "hourly":
        out["bp_grid"] = {"min": BP_MIN, "max": BP_MAX, "step": step}
    out["baseline"] = {"n_periods": len(baseline), "n_unmasked": len(train),
                       "sufficiency": sufficiency(baseline, periods, interval),
                       "masked": masked_report(baseline)}

    if interval == "hourly":
        models = fit_towt(train)
        for p in reporting_all:
            if not p["reasons"] and models[p["start"].month] is None:
                p["reasons"].append(f"no model for month {p['start'].month}")
        n_params = max(mdl["n_columns"] for mdl in models.values() if mdl is not None)
        fitted = [predict_towt(models, p) for p in train]
        out["model"] = {
            "type": "towt", "n": len(train), "p": n_params,
            "months": [None if mdl is None else {
                "month": m, "n_hours_month": mdl["n_hours_month"], "n_rows_weighted": mdl["n_rows"],
                "occupancy_fit": mdl["occupancy_fit"],
                "occupied": [bool(v) for v in mdl["occupied"]],
                "endpoints": {"occupied": mdl["endpoints_occupied"], "unoccupied": mdl["endpoints_unoccupied"]},
                "coefficients": {"hour_of_week": [float(v) for v in mdl["coef_how"]],
                                 "occupied": [float(v) for v in mdl["coef_occupied"]],
                                 "unoccupied": [float(v) for v in mdl["coef_unoccupied"]]},
                "n_columns": mdl["n_columns"], "rank": mdl["rank"],
                "dropped_columns": mdl["dropped_columns"],
            } for m, mdl in models.items()],
        }
        predict = lambda p: predict_towt(models, p)
        p_metrics = n_params
    else:
        fit = fit_degree_day_models(train, interval, step)
        model = fit["selected"]
        if model is None:
            raise RuntimeError(f"{name}: no candidate qualifies")
        ranked = sorted((c for c in fit["candidates"] if c["qualified"]), key=lambda c: -c["adj_r2"])
        out["candidates"] = {
            "n_candidates": len(fit["candidates"]),
            "n_qualified": sum(c["qualified"] for c in fit["candidates"]),
            "qualifying_h": fit["qualifying_h"], "qualifying_c": fit["qualifying_c"],
            "top_qualified": [{k: c[k] for k in ("type", "h", "c", "adj_r2")} for c in ranked[:5]],
        }
        out["model"] = {k: model[k] for k in ("type", "h", "c", "beta0", "beta_h", "beta_c",
                                               "r2", "adj_r2", "n", "k")}
        fitted = [predict_degree_day(model, p) for p in train]
        predict = lambda p: predict_degree_day(model, p)
        p_metrics = model["k"]

    observed = [p["value"] for p in train]
    metrics = g14_metrics(observed, fitted, p_metrics, interval)
    reporting = [p for p in reporting_all if not p["reasons"]]
    predicted = [predict(p) for p in reporting]

    out["baseline"]["fitted"] = {"start": [rfc3339(p["start"]) for p in train],
                                 "observed": observed, "fitted": fitted}
    if interval != "hourly":
        out["baseline"]["fitted"].update(degree_day_arrays(model, train))
    out["g14"] = metrics
    out["reporting"] = {"n_periods": len(reporting_all), "n_unmasked": len(reporting),
                        "masked": masked_report(reporting_all),
                        "predictions": {"start": [rfc3339(p["start"]) for p in reporting],
                                        "observed": [p["value"] for p in reporting],
                                        "predicted": predicted}}
    if interval != "hourly":
        out["reporting"]["predictions"].update(degree_day_arrays(model, reporting))
    out["savings"] = savings(reporting, predicted, metrics, interval, confidence)

    if interval == "hourly" and not full_hourly:
        for key, section in (("baseline", "fitted"), ("reporting", "predictions")):
            arrays = out[key][section]
            out[key][section] = {"truncated": True, "length": len(arrays["start"]),
                                 "first_200": {k: v[:200] for k, v in arrays.items()},
                                 "last_200": {k: v[-200:] for k, v in arrays.items()}}
    return out


def degree_day_arrays(model, periods):
    """Per period: mean temperature, n_days, and degree days at the model's balance points."""
    arrays = {"temperature": [p["T"] for p in periods], "n_days": [p["n_days"] for p in periods]}
    if model["h"] is not None:
        arrays["hdd"] = [hdd(p["units"], model["h"]) for p in periods]
    if model["c"] is not None:
        arrays["cdd"] = [cdd(p["units"], model["c"]) for p in periods]
    return arrays


CASES = [
    ("il-gas-hdd-only-daily/step3", "il-gas-hdd-only-daily", "daily", 3),
    ("il-gas-hdd-only-daily/step1", "il-gas-hdd-only-daily", "daily", 1),
    ("il-electricity-cdd-only-daily/step3", "il-electricity-cdd-only-daily", "daily", 3),
    ("il-electricity-cdd-only-daily/step1", "il-electricity-cdd-only-daily", "daily", 1),
    ("il-electricity-cdd-hdd-billing_monthly/step3", "il-electricity-cdd-hdd-billing_monthly", "billing", 3),
    ("il-electricity-cdd-hdd-billing_monthly/step1", "il-electricity-cdd-hdd-billing_monthly", "billing", 1),
    # twelve whole bills: the default window holds only 332 days of billing periods
    ("il-electricity-cdd-hdd-billing_monthly/12-bills", "il-electricity-cdd-hdd-billing_monthly", "billing", 3,
     ((dt.date(2015, 11, 22), dt.date(2016, 11, 23)), (dt.date(2017, 1, 21), dt.date(2018, 1, 20)))),
    ("il-electricity-cdd-hdd-hourly", "il-electricity-cdd-hdd-hourly", "hourly", None),
]
BASELINE = (dt.date(2015, 12, 27), dt.date(2016, 12, 26))
REPORTING = (dt.date(2017, 1, 4), dt.date(2018, 1, 4))
MAX_BYTES = 1_500_000


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def json_text(value):
    """JSON with floats at full precision (repr); NaN written as null. Objects are
    indented; lists of plain values are written on one line."""
    def clean(v):
        if isinstance(v, float):
            return None if math.isnan(v) else v
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if isinstance(v, np.generic):
            return clean(v.item())
        return v

    def write(v, depth):
        pad, inner = " " * depth, " " * (depth + 1)
        if isinstance(v, dict):
            if not v:
                return "{}"
            items = [f"{inner}{json.dumps(k)}: {write(x, depth + 1)}" for k, x in v.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v):
            return "[\n" + ",\n".join(inner + write(x, depth + 1) for x in v) + "\n" + pad + "]"
        return json.dumps(v, allow_nan=False, separators=(",", ":"))

    return write(clean(value), 0) + "\n"


def summary_line(case):
    s, m = case["savings"], case["model"]
    if m["type"] == "towt":
        model = f"towt p={m['p']}"
    else:
        model = (f"{m['type']} h={m['h']} c={m['c']} b0={m['beta0']:.4f} bh={m['beta_h']} "
                 f"bc={m['beta_c']} adjR2={m['adj_r2']:.4f}")
    fsu = "null" if s["fsu"] is None else f"{s['fsu']:.4f}"
    fsu14 = "null" if s["fsu_g14"] is None else f"{s['fsu_g14']:.4f}"
    return (f"{case['case']}: sufficient={case['baseline']['sufficiency']['sufficient']} {model} "
            f"CV={case['g14']['cvrmse']:.4f} rho={case['g14']['rho']:.3f} "
            f"P={s['predicted_total']:.2f} O={s['observed_total']:.2f} F={s['fractional_savings']:.4f} "
            f"fsu={fsu} fsu_g14={fsu14}")


def main(argv):
    args = list(argv[1:])
    out_path = Path(__file__).resolve().parents[2] / "crates/building/tests/fixtures/caltrack_reference.json"
    if "--out" in args:
        i = args.index("--out")
        out_path = Path(args[i + 1])
        del args[i:i + 2]
    data_dir = Path(args[0]) if args else Path("/work/shared/data/building")

    started = time.perf_counter()
    temp_path = data_dir / "il-tempF.csv.gz"
    temps = load_temperature(temp_path)
    results, inputs = [], {temp_path.name: sha256(temp_path)}
    for name, stem, interval, step, *bounds in CASES:
        meter_path = data_dir / f"{stem}.csv.gz"
        inputs[meter_path.name] = sha256(meter_path)
        results.append(run_case(name, meter_path, temps, interval, step, bounds[0] if bounds else (BASELINE, REPORTING)))
    elapsed = time.perf_counter() - started

    document = {
        "provenance": {
            "generator": "tools/reference/caltrack_reference.py (docs/baselines.md sections 1-7)",
            "command": " ".join(["python"] + [str(a) for a in argv]),
            "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
            "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "inputs_sha256": inputs,
            "baseline": {"start": BASELINE[0].isoformat(), "end": BASELINE[1].isoformat()},
            "reporting": {"start": REPORTING[0].isoformat(), "end": REPORTING[1].isoformat()},
            "confidence": 0.90,
            "run_seconds": round(elapsed, 2),
        },
        "cases": results,
    }
    text = json_text(document)
    if len(text.encode()) > MAX_BYTES:
        hourly = [i for i, case in enumerate(CASES) if case[2] == "hourly"]
        for i in hourly:
            name, stem, interval, step = CASES[i][:4]
            results[i] = run_case(name, data_dir / f"{stem}.csv.gz", temps, interval, step,
                                  (BASELINE, REPORTING), full_hourly=False)
        text = json_text(document)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text)
    for case in results:
        print(summary_line(case))
    print(f"wrote {out_path} ({len(text.encode())} bytes) in {elapsed:.1f} s")


if __name__ == "__main__":
    main(sys.argv)
