import json

import pandas as pd
import polars as pl
import pytest

import terrawatt
from conftest import same_numbers


def test_baseline_and_savings_equal_the_command_line(sample, cli, tmp_path):
    meter, temps = sample / "meter-daily.csv", sample / "temperature-hourly.csv.gz"
    common = ["--temperature-unit", "F"]
    model = tmp_path / "baseline.json"
    expected = cli.results(tmp_path, "building", "baseline", "--meter", meter, "--temperature", temps,
                           *common, "--freq", "daily", "--end", "2025-01-01", "--out", model)
    b = terrawatt.building.baseline(meter, temps, temperature_unit="F", freq="daily", end="2025-01-01")
    same_numbers(expected, b.results)
    assert b.model == json.loads(model.read_text())
    # no temporary path is left in what the call gives back
    assert "/terrawatt-" not in b.text and b["model_file"] == "result.model"
    expected = cli.results(tmp_path, "building", "savings", "--model", model, "--meter", meter,
                           "--temperature", temps, *common, "--start", "2025-01-01")
    s = terrawatt.building.savings(b.model, meter, temps, temperature_unit="F", start="2025-01-01")
    same_numbers(expected, s.results)
    assert 0.05 < s["fractional_savings"] < 0.15
    assert s.energy.joules > 0 and b.energy.joules > 0


def test_baseline_from_frames_keeps_the_zone(sample, cli, tmp_path):
    meter = pd.read_csv(sample / "meter-daily.csv")
    temps = pd.read_csv(sample / "temperature-hourly.csv.gz")
    from_files = terrawatt.building.baseline(sample / "meter-daily.csv", sample / "temperature-hourly.csv.gz",
                                             temperature_unit="F", end="2025-01-01")
    # text stamps with offsets, as pandas reads them
    a = terrawatt.building.baseline(meter, temps, temperature_unit="F", end="2025-01-01")
    same_numbers(from_files.results, a.results)
    # zoned datetimes (America/Chicago), from pandas and polars
    def zoned(df):
        col = df.columns[0]
        return df.assign(**{col: pd.to_datetime(df[col], utc=True).dt.tz_convert("America/Chicago")})
    for m, t in [(zoned(meter), zoned(temps)), (pl.from_pandas(zoned(meter)), pl.from_pandas(zoned(temps)))]:
        r = terrawatt.building.baseline(m, t, temperature_unit="F", end="2025-01-01")
        same_numbers(from_files.results, r.results)


def test_fit_predict_and_cv(sample, cli, tmp_path):
    data = sample / "buildings.csv"
    args = dict(target="heating_kwh_m2", exclude="cooling_kwh_m2", model="ridge")
    out = tmp_path / "model.json"
    expected = cli.results(tmp_path, "building", "fit", "--data", data, *terrawatt.flags(args), "--out", out)
    r = terrawatt.building.fit(data, **args)
    same_numbers(expected, r.results)
    assert r.model == json.loads(out.read_text())
    p = terrawatt.building.predict(r.model, pd.read_csv(data))
    cli_pred = tmp_path / "pred.csv"
    cli.run("building", "predict", "--model", out, "--data", data, "--out", cli_pred, "-q")
    assert p.table.to_pandas()["prediction"].tolist() == pd.read_csv(cli_pred)["prediction"].tolist()
    cv = terrawatt.building.cv(data, cv=5, **args)
    folds = cv.tables["folds_out"].to_pandas()
    assert sorted(folds["fold"].unique()) == [0, 1, 2, 3, 4] and len(folds) == 400
    assert len(cv.tables["oof_out"]) == 400


def test_bad_inputs_raise_the_command_lines_messages(sample, cli, tmp_path):
    data = sample / "buildings.csv"
    message = cli.error("building", "fit", "--data", data, "--target", "no_such_column", "--out", tmp_path / "m.json")
    with pytest.raises(terrawatt.TaskError) as e:
        terrawatt.building.fit(data, target="no_such_column")
    assert e.value.message == message
    with pytest.raises(terrawatt.UsageError, match="--no-such-option"):
        terrawatt.building.fit(data, target="heating_kwh_m2", no_such_option=3)
    # an output that is an input: refused before any work, the input untouched
    before = data.read_bytes()
    message = cli.error("building", "predict", "--model", tmp_path / "m.json", "--data", data, "--out", data)
    with pytest.raises(terrawatt.Error) as e:
        terrawatt.building.predict(tmp_path / "m.json", data, out=data)
    assert e.value.message == message
    assert data.read_bytes() == before
    # inf in a feature is refused with the row named, as on the command line
    frame = pd.read_csv(data)
    frame.loc[7, "u_wall"] = float("inf")
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    message = cli.error("building", "fit", "--data", bad, "--target", "heating_kwh_m2",
                        "--exclude", "cooling_kwh_m2", "--out", tmp_path / "m2.json")
    with pytest.raises(terrawatt.TaskError) as e:
        terrawatt.building.fit(bad, target="heating_kwh_m2", exclude="cooling_kwh_m2")
    assert e.value.message == message


def test_a_shuffled_or_filtered_frame_keeps_its_features(sample, cli, tmp_path):
    """The row labels left by ``df.sample`` or ``df[mask]`` had become a feature named
    ``time`` (13 features for 12, no warning, and a model ``predict`` refused for lacking
    it): an unnamed index that is not of times is dropped."""
    data = pd.read_csv(sample / "buildings.csv")
    args = dict(target="heating_kwh_m2", exclude="cooling_kwh_m2", model="ols")
    plain = terrawatt.building.fit(data, **args)
    for frame in (data.sample(frac=1, random_state=0), data[data.index % 3 != 0]):
        r = terrawatt.building.fit(frame, **args)
        assert r.model["features"] == plain.model["features"]
        assert "time" not in r.model["features"]
        p = terrawatt.building.predict(r.model, data)
        assert len(p.table) == len(data)


def test_numpy_scalars_are_their_values(sample):
    np = pytest.importorskip("numpy")
    assert terrawatt.flags({"grid_intensity": np.float64(300), "strict": np.False_, "n": np.int64(5)}) == [
        "--grid-intensity", "300.0", "--n", "5"]
    assert terrawatt.flags({"plot": np.True_}) == ["--plot"]
