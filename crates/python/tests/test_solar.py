import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import terrawatt
from conftest import same_numbers

SYSTEM = {"array": {"kwp": 5.0, "tilt": 30.0, "azimuth": 180.0}}


def test_position_equals_the_command_line_bit_for_bit(cli, tmp_path):
    out = tmp_path / "sun.csv"
    cli.run("solar", "position", "--lat", 39.742476, "--lon", -105.1786, "--elevation", 1830.14,
            "--pressure", 820, "--temperature", 11, "--delta-t", 67,
            "--start", "2003-10-17T00:00:00-07:00", "--end", "2003-10-18T00:00:00-07:00",
            "--freq", "1min", "--out", out, "-q")
    expected = pd.read_csv(out)
    times = pd.date_range("2003-10-17", periods=1440, freq="1min", tz="-07:00")
    r = terrawatt.solar.position(times, 39.742476, -105.1786, elevation=1830.14,
                                 pressure=820, temperature=11, delta_t=67)
    for col in expected.columns[1:]:
        assert np.array_equal(r.arrays[col], expected[col].to_numpy()), col
    # NREL's SPA example (Reda & Andreas 2004, table A4.1): 2003-10-17 12:30:30 −07:00
    at = terrawatt.solar.position(pd.DatetimeIndex(["2003-10-17 12:30:30-07:00"]), 39.742476,
                                  -105.1786, elevation=1830.14, pressure=820, temperature=11,
                                  delta_t=67)
    assert at.arrays["apparent_zenith"][0] == pytest.approx(50.11162, abs=1e-5)
    assert at.arrays["azimuth"][0] == pytest.approx(194.34024, abs=1e-5)
    assert r.energy.joules > 0 and r.energy.sci["unit"] == "site-year"
    frame = r.to_pandas()
    assert frame.index.equals(times) and str(frame.index.tz) == "UTC-07:00"


def test_position_times_naive_missing_and_wrong(tmp_path):
    with pytest.raises(terrawatt.UsageError, match="naive time stamps need tz="):
        terrawatt.solar.position(pd.date_range("2024-06-01", periods=3, freq="1h"), 43.6, 1.44)
    naive = pd.DatetimeIndex(["2024-06-21 12:00", None, "2024-06-21 13:00"])
    r = terrawatt.solar.position(naive, 43.6, 1.44, tz="Europe/Paris")
    z = r.arrays["zenith"]
    assert np.isfinite(z[0]) and np.isnan(z[1]) and np.isfinite(z[2])
    with pytest.raises(terrawatt.SettingsError, match="latitude 95 is outside"):
        terrawatt.solar.position(pd.date_range("2024-06-01", periods=3, freq="1h", tz="UTC"), 95, 1.44)


def weather_frame(sample):
    """The sample PVGIS year as a weather frame with a zoned time column."""
    lines = (sample / "weather-sample.csv").read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("time(UTC)"))
    rows = [l.split(",") for l in lines[start + 1:] if l[:1].isdigit() and ":" in l.split(",")[0]]
    frame = pd.DataFrame(rows, columns=lines[start].split(","))
    return pd.DataFrame({
        "time": pd.to_datetime(frame["time(UTC)"], format="%Y%m%d:%H%M", utc=True),
        "ghi": frame["G(h)"].astype(float),
        "dni": frame["Gb(n)"].astype(float),
        "dhi": frame["Gd(h)"].astype(float),
        "temp_air": frame["T2m"].astype(float),
        "wind_speed": frame["WS10m"].astype(float),
    })


def test_simulate_takes_frames_from_pandas_polars_and_pyarrow(sample, cli, tmp_path):
    weather = weather_frame(sample)
    path = tmp_path / "weather.csv"
    weather.assign(time=weather["time"].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")).to_csv(path, index=False)
    system = tmp_path / "system.toml"
    system.write_text("[array]\nkwp = 5.0\ntilt = 30.0\nazimuth = 180.0\n")
    args = ["--table", "--lat", 43.6, "--lon", 1.44, "--label", "centre"]
    expected = cli.results(tmp_path, "solar", "simulate", "--weather", path, "--system", system, *args)
    kw = dict(lat=43.6, lon=1.44, label="centre")
    for frame in [weather, pl.from_pandas(weather), pa.Table.from_pandas(weather)]:
        r = terrawatt.solar.simulate(frame, SYSTEM, **kw)
        same_numbers(expected, r.results)
        assert len(r.table) == len(weather)
    # a time index (pvlib's habit) is a time column; the zone is kept in the output
    paris = weather.set_index("time").tz_convert("Europe/Paris")
    r = terrawatt.solar.simulate(paris, SYSTEM, **kw)
    same_numbers(expected, r.results)
    out = r.table.to_pandas()
    assert str(out["time"].dt.tz) == "Europe/Paris"
    assert (out["time"] == paris.index.to_series().reset_index(drop=True)).all()
    assert str(r.table.to_polars().schema["time"].time_zone) == "Europe/Paris"


def test_simulate_keeps_missing_values_missing_and_says_so(sample):
    weather = weather_frame(sample)
    weather.loc[100:102, "ghi"] = np.nan
    r = terrawatt.solar.simulate(weather, SYSTEM, lat=43.6, lon=1.44, label="centre")
    assert r["missing_intervals"] == 3 and r["annual_energy_kwh"] is None
    pac = r.table.to_pandas()["pac"]
    assert pac[100:103].isna().all() and pac.notna().sum() == len(weather) - 3
    # a gap filled on request
    filled = terrawatt.solar.simulate(weather, SYSTEM, lat=43.6, lon=1.44, label="centre", fill_gaps=3)
    assert filled["missing_intervals"] == 0 and filled["filled"][0]["filled"] == 3
    # a bad row is named, with the command line's message, and the energy spent reported
    weather.loc[5, "time"] = weather.loc[4, "time"]
    with pytest.raises(terrawatt.TaskError) as e:
        terrawatt.solar.simulate(weather, SYSTEM, lat=43.6, lon=1.44, label="centre")
    assert "the table given as weather" in e.value.message and "row" in e.value.message
    assert e.value.energy is not None and e.value.energy.joules >= 0


def test_system_dict_equals_system_file(sample, tmp_path):
    path = tmp_path / "system.toml"
    path.write_text("[array]\nkwp = 5.0\ntilt = 30.0\nazimuth = 180.0\n")
    a = terrawatt.solar.simulate(sample / "weather-sample.csv", path)
    b = terrawatt.solar.simulate(sample / "weather-sample.csv", SYSTEM)
    same_numbers(a.results, b.results, rel=0)
    assert 1100 < b["specific_yield_kwh_per_kwp"] < 1600


def test_clearsky_table(cli, tmp_path):
    args = dict(lat=36.1, lon=-79.95, elevation=273, start="2020-06-21T00:00:00-05:00",
                end="2020-06-22T00:00:00-05:00", model="ineichen", linke=3.0)
    r = terrawatt.solar.clearsky(**args)
    out = tmp_path / "cs.csv"
    cli.run("solar", "clearsky", *terrawatt.flags(args), "--out", out, "-q")
    expected = pd.read_csv(out)
    got = r.table.to_pandas()
    for col in ["ghi", "dni", "dhi"]:
        assert np.array_equal(got[col].to_numpy(), expected[col].to_numpy())


def test_numpy_datetime64_times_are_utc():
    """numpy's datetime64 has no zone: taken as UTC, as the docstring says (with pandas
    installed they had been refused as naive)."""
    import numpy as np

    t = np.array(["2024-06-21T12:00", "2024-12-21T12:00"], dtype="datetime64[ns]")
    a = terrawatt.solar.position(t, 43.6, 1.44)
    b = terrawatt.solar.position(t, 43.6, 1.44, tz="UTC")
    assert list(a.arrays["azimuth"]) == list(b.arrays["azimuth"])
