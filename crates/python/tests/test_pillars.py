"""Forecast, wind and raster calls against the command line on the same inputs."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import terrawatt
from conftest import same_numbers

# --model auto's candidates' fit energy is measured, so it differs from run to run
MEASURED = ("fit_joules", "joules_saved", "validation_joules")

FORECAST = dict(target="ac_power", time_column="time", interval="15min", horizon="1h",
                train_window="30d", site_lat=43.6, site_lon=1.44, tilt=30, azimuth=180, capacity=5000,
                start="2024-06-01T00:00:00Z", end="2024-06-04T00:00:00Z", refit="1d", seed=0)


def test_forecast_backtest_equals_the_command_line(sample, cli, tmp_path):
    data = sample / "pv-power-15min.csv.gz"
    out = tmp_path / "bt.csv"
    expected = cli.results(tmp_path, "forecast", "backtest", "--data", data, *terrawatt.flags(FORECAST), "--out", out)
    r = terrawatt.forecast.backtest(data, **FORECAST)
    same_numbers(expected, r.results, skip=MEASURED)
    got = r.table.to_pandas()
    want = pd.read_csv(out)
    assert list(got.columns) == list(want.columns) and len(got) == len(want)
    assert np.array_equal(got["forecast"].to_numpy(), want["forecast"].to_numpy(), equal_nan=True)
    # the same series as a frame (the outage stays missing)
    frame = pd.read_csv(data)
    assert frame["ac_power"].isna().sum() > 0
    same_numbers(expected, terrawatt.forecast.backtest(frame, **FORECAST).results, skip=MEASURED)


def test_wind_simulate_equals_the_command_line(sample, cli, tmp_path):
    weather = sample / "wind-weather-sample.csv"
    args = dict(hub_height=100, rated_kw=3600, rotor_diameter=120, cut_in=3, rated_speed=12, cut_out=25)
    expected = cli.results(tmp_path, "wind", "simulate", "--weather", weather, *terrawatt.flags(args))
    r = terrawatt.wind.simulate(weather, **args)
    same_numbers(expected, r.results)
    assert len(r.table) == 8760


def test_rasters_equal_the_command_line(sample, cli, tmp_path):
    zones = sample / "zones.gpkg"
    args = [sample / "treecover-2000.tif", sample / "lossyear.tif", zones]
    expected = cli.results(tmp_path, "raster", "forest-loss", "--treecover", args[0], "--lossyear",
                           args[1], "--zones", zones, "--years", "2000-2024", "--out", tmp_path / "loss.csv")
    r = terrawatt.raster.forest_loss(*args, years="2000-2024")
    same_numbers(expected, r.results)
    loss = r.table.to_pandas()
    assert len(loss) == len(pd.read_csv(tmp_path / "loss.csv"))
    # an output column left empty (no emissions layer) is missing numbers, not text
    assert r.table.to_pyarrow().schema.field("emissions_mg_co2e").type == pa.float64()
    assert loss["emissions_mg_co2e"].isna().all()
    cover = sample / "landcover-2023.tif"
    expected = cli.results(tmp_path, "raster", "landscape", "--input", cover)
    land = terrawatt.raster.landscape(cover)
    same_numbers(expected, land.results, skip=("table",))
    assert len(land.table) > 1
    out = tmp_path / "z.csv"
    expected = cli.results(tmp_path, "raster", "zonal", "--input", args[0], "--zones", zones, "--out", out)
    z = terrawatt.raster.zonal(args[0], zones)
    same_numbers(expected, z.results)
    assert z.table.num_rows == 2


def test_raster_output_over_an_input_is_refused(sample, tmp_path):
    scene = tmp_path / "scene.tif"
    scene.write_bytes((sample / "scene-2023-06.tif").read_bytes())
    before = scene.read_bytes()
    with pytest.raises(terrawatt.Error, match="writing there would destroy it"):
        terrawatt.raster.index(index="ndvi", input=scene, bands={"red": 1, "nir": 2}, out=scene)
    assert scene.read_bytes() == before


def test_energy_info_and_a_usage_error():
    r = terrawatt.energy.info()
    assert r.energy.method and r.energy.uncertainty > 0
    assert "sources" in r.results or r.results
    with pytest.raises(terrawatt.UsageError):
        terrawatt.run("solar", "no-such-command")
    with pytest.raises(terrawatt.SettingsError, match="XX"):
        terrawatt.energy.info(country="XX")


def test_raster_change_equals_the_command_line(sample, cli, tmp_path):
    args = dict(index="ndvi", before=sample / "scene-2023-06.tif", after=sample / "scene-2024-06.tif",
                bands="red=B04,nir=B08", threshold=-0.2, mmu="0.5ha")
    expected = cli.results(tmp_path, "raster", "change", *terrawatt.flags(args), "--out", tmp_path / "a.tif")
    r = terrawatt.raster.change(out=tmp_path / "b.tif", **args)
    same_numbers(expected, r.results)
    assert (tmp_path / "b.tif").stat().st_size > 0 and r.energy.sci is not None


def test_forecast_predict_equals_the_command_line(sample, cli, tmp_path):
    data = sample / "pv-power-15min.csv.gz"
    args = {k: v for k, v in FORECAST.items() if k not in ("start", "end", "refit")}
    out = tmp_path / "p.csv"
    expected = cli.results(tmp_path, "forecast", "predict", "--data", data, *terrawatt.flags(args), "--out", out)
    r = terrawatt.forecast.predict(data, **args)
    same_numbers(expected, r.results, skip=MEASURED)
    want = pd.read_csv(out)
    assert np.array_equal(r.table.to_pandas()["forecast"].to_numpy(), want["forecast"].to_numpy(), equal_nan=True)


def test_a_warning_of_the_command_line_is_a_python_warning(sample, tmp_path):
    # ten points over the sample's land cover in proportion to area: its small classes get
    # fewer than two, which the command line says in a warning line
    with pytest.warns(terrawatt.TerrawattWarning, match="sample point"):
        r = terrawatt.run("raster", "sample-design", map=sample / "landcover-2023.tif", n=10,
                          out=tmp_path / "points.gpkg")
    assert any("sample point" in w for w in r.results["warnings"])


def test_wind_weather_as_a_windpowerlib_frame(sample, tmp_path):
    """A frame read as windpowerlib reads its files (two column levels) gives the file's
    results; a flat frame is refused with what it needs (it had failed on its bytes)."""
    weather = sample / "wind-weather-sample.csv"
    args = dict(hub_height=100, rated_kw=3600, rotor_diameter=120, cut_in=3, rated_speed=12, cut_out=25)
    from_file = terrawatt.wind.simulate(weather, **args)
    frame = pd.read_csv(weather, header=[0, 1], index_col=0)
    frame.index = pd.to_datetime(frame.index, utc=True)
    r = terrawatt.wind.simulate(frame, **args)
    same_numbers(from_file.results, r.results, skip={"weather"})
    with pytest.raises(terrawatt.UsageError, match="two column levels"):
        terrawatt.wind.simulate(frame.droplevel(1, axis=1), **args)


def test_calls_at_once_say_their_energy_overlaps(sample):
    """Calls in threads each report the process's energy over their span: a warning says
    so (their sum had exceeded a meter around them by 2.4 times); a call alone says nothing."""
    import concurrent.futures
    import warnings

    data = sample / "buildings.csv"
    args = dict(target="heating_kwh_m2", exclude="cooling_kwh_m2", model="ols")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        terrawatt.building.fit(data, **args)
    assert not [w for w in caught if "at the same time" in str(w.message)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: terrawatt.building.fit(data, **args), range(4)))
    assert [w for w in caught if "at the same time" in str(w.message)]


def test_a_damaged_calibration_is_a_python_warning(sample, tmp_path):
    """A damaged calibration file is set aside with a warning on the command line; a call
    in Python had said nothing. It is a TerrawattWarning now (in a fresh interpreter, the
    meter being detected once per process)."""
    import os
    import subprocess
    import sys

    (tmp_path / "terrawatt").mkdir()
    (tmp_path / "terrawatt" / "calibration.json").write_text("{ not json")
    code = (
        "import warnings, terrawatt\n"
        "warnings.simplefilter('error', terrawatt.TerrawattWarning)\n"
        "try:\n"
        "    terrawatt.energy.info()\n"
        "except terrawatt.TerrawattWarning as w:\n"
        "    print('WARNED', w)\n"
    )
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path))
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "WARNED" in p.stdout and "the calibration is ignored" in p.stdout, p.stdout + p.stderr
