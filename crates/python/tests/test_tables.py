"""Frames in and tables out: pandas, polars and pyarrow, time zones and nulls kept."""

import datetime as dt

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import terrawatt
from terrawatt import _terrawatt


def frame():
    return pd.DataFrame({
        "time": pd.date_range("2024-03-30 22:00", periods=5, freq="1h", tz="Europe/Paris"),
        "x": [1.5, None, 3.0, float("nan"), 5.0],
        "n": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        "label": ["a", None, "c", "d", "é"],
    })


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_round_trip_keeps_zones_and_nulls(tmp_path, kind):
    df = frame()
    polars_nan = pl.from_pandas(df).with_columns(pl.col("x").fill_null(float("nan")).alias("x"))
    polars_nan = polars_nan.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.col("x")).alias("x"))
    given = {"pandas": df, "polars": polars_nan, "pyarrow": pa.Table.from_pandas(df)}[kind]
    path = tmp_path / "t.parquet"
    rows, cols, tz = _terrawatt.write_parquet(given, str(path), "t")
    assert (rows, cols, tz) == (5, 4, "Europe/Paris")
    back = terrawatt.read_table(path)
    t = back.to_pyarrow()
    assert t.schema.field("time").type.tz == "Europe/Paris"
    assert t.column("time").to_pylist() == df["time"].tolist()
    x = t.column("x").to_pylist()
    assert x[0] == 1.5 and x[1] is None and x[4] == 5.0
    if kind == "polars":  # polars tells NaN from null (pandas makes both null)
        assert x[3] != x[3]
    assert t.column("n").to_pylist() == [1, None, 3, 4, 5]
    assert t.column("label").to_pylist() == ["a", None, "c", "d", "é"]
    # the table itself is an Arrow stream every library reads
    assert pl.DataFrame(back._inner).shape == (5, 4)
    assert pa.table(back).num_rows == 5
    p = back.to_pandas()
    assert str(p["time"].dt.tz) == "Europe/Paris" and p["n"].isna().sum() == 1


def test_text_stamps_come_back_as_instants(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("time,v\n2024-03-31T01:00:00+01:00,1\n2024-03-31T03:00:00+02:00,2\n")
    t = terrawatt.read_table(path, tz="Europe/Paris")
    p = t.to_pandas()
    assert p["time"].tolist() == [pd.Timestamp("2024-03-31 00:00", tz="UTC"), pd.Timestamp("2024-03-31 01:00", tz="UTC")]
    assert str(p["time"].dt.tz) == "Europe/Paris"
    assert "2 rows" in repr(t)


def test_what_is_not_a_table_is_named():
    with pytest.raises(TypeError, match="weather: a table is expected"):
        _terrawatt.write_parquet([1, 2, 3], "/tmp/never.parquet", "weather")
    with pytest.raises(TypeError, match="a table is expected"):
        terrawatt.solar.simulate({"ghi": [1, 2]}, {"array": {"kwp": 1, "tilt": 30, "azimuth": 180}})


def test_empty_frame():
    df = pl.DataFrame({"time": pl.Series([], dtype=pl.Datetime("us", "UTC")), "v": pl.Series([], dtype=pl.Float64)})
    rows, cols, tz = _terrawatt.write_parquet(df, "/tmp/terrawatt-empty-test.parquet", "empty")
    assert (rows, cols, tz) == (0, 2, "UTC")
