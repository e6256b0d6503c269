import csv
import json
import threading

import numpy as np
import pytest

import terrawatt


def busy(seconds=0.2):
    """Numpy work for about `seconds` of CPU."""
    import time

    end = time.process_time() + seconds
    a = np.random.default_rng(0).standard_normal((200, 200))
    while time.process_time() < end:
        a = np.tanh(a @ a.T / 200)
    return a


def test_a_meter_reports_and_appends_a_codecarbon_row(tmp_path, cli):
    rows = tmp_path / "emissions.csv"
    with terrawatt.meter("training", country="FR", emissions_csv=rows, project_name="demo") as m:
        busy()
    e = m.energy
    assert e.joules > 0 and e.co2e_g > 0 and 0 < e.uncertainty < 2 and e.method
    assert e.band[0] <= e.joules <= e.band[1]
    span = e.span
    assert span["name"] == "training" and span["cpu_user_s"] + span["cpu_system_s"] >= 0.15
    report = m.report()
    assert report["command"] == "training" and report["energy"]["carbon"]["grid"]["g_per_kwh"] < 100
    # the row is the command line's: same header, same columns
    cli_rows = tmp_path / "cli.csv"
    cli.run("energy", "info", "--emissions-csv", cli_rows, "-q")
    with open(rows) as f, open(cli_rows) as g:
        ours, theirs = list(csv.reader(f)), list(csv.reader(g))
    assert ours[0] == theirs[0] and len(ours) == 2 and len(ours[1]) == len(theirs[1])
    row = dict(zip(ours[0], ours[1]))
    assert row["project_name"] == "demo" and row["country_iso_code"] == "FRA"
    assert float(row["energy_consumed"]) == pytest.approx(e.joules / 3.6e6, rel=1e-6)
    with terrawatt.meter("again", emissions_csv=rows):
        pass
    assert len(list(csv.reader(open(rows)))) == 3


def test_nested_meters_are_phases():
    with terrawatt.meter("pipeline") as outer:
        with terrawatt.meter("load") as a:
            busy(0.05)
        with terrawatt.meter("fit") as b:
            busy(0.15)
    children = outer.energy.span["children"]
    assert [c["name"] for c in children] == ["load", "fit"]
    assert a.energy.joules < b.energy.joules <= outer.energy.joules
    assert a.report() == {"energy": a.energy.report}
    # a meter with options of its own is a run of its own, wherever it is opened
    with terrawatt.meter("outer") as o:
        with terrawatt.meter("own", grid_intensity=100) as own:
            busy(0.02)
    assert o.energy.span["children"] == [] and own.report()["command"] == "own"


def test_meters_in_threads_and_the_decorator():
    results = {}

    def work(name):
        with terrawatt.meter(name) as m:
            busy(0.05)
        results[name] = m

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[n].energy.joules > 0 for n in ["t0", "t1"])
    assert all(results[n].energy.span["children"] == [] for n in ["t0", "t1"])

    @terrawatt.metered(country="DE")
    def train(n):
        busy(0.02)
        return n * 2

    assert train(21) == 42
    assert train.last_meter.energy.joules > 0
    assert train.last_meter.report()["command"].endswith("train")


def test_meter_settings_are_checked_before_the_block(tmp_path):
    ran = []
    with pytest.raises(terrawatt.SettingsError, match="XX"):
        with terrawatt.meter("x", country="XX"):
            ran.append(1)
    with pytest.raises(terrawatt.SettingsError):
        with terrawatt.meter("x", emissions_csv=tmp_path / "no" / "such" / "e.csv"):
            ran.append(1)
    with pytest.raises(terrawatt.UsageError):
        with terrawatt.meter("x", no_such_option=1):
            ran.append(1)
    assert ran == []


def test_an_exception_in_the_block_is_measured_and_raised(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with terrawatt.meter("boom", report=tmp_path / "r.json") as m:
            busy(0.02)
            1 / 0
    assert m.energy.joules > 0
    assert json.loads((tmp_path / "r.json").read_text())["command"] == "boom"


def test_a_call_releases_the_interpreter(sample):
    """While a command computes, other Python threads run: the main thread's count goes on
    between the moments the worker enters and leaves the call (held, it would advance by
    at most a switch interval's worth)."""
    done = threading.Event()
    counts = {"n": 0, "at_start": None, "at_end": None}

    def work():
        counts["at_start"] = counts["n"]
        terrawatt.building.cv(sample / "buildings.csv", target="heating_kwh_m2",
                              exclude="cooling_kwh_m2", model="gbm", cv=5)
        counts["at_end"] = counts["n"]
        done.set()

    t = threading.Thread(target=work)
    t.start()
    while not done.is_set():
        counts["n"] += 1
    t.join()
    assert counts["at_end"] - counts["at_start"] > 1_000_000, counts
