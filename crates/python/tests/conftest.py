"""What the tests share: the sample data, the command line to compare with, and a
comparison of results to 1e-12."""

import json
import math
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "notebooks-data"


@pytest.fixture
def sample() -> Path:
    return SAMPLE


@pytest.fixture
def shared() -> Path:
    """../shared/data: skipped where absent, a failure where TERRAWATT_REFERENCE_DATA is
    set."""
    path = ROOT.parent / "shared" / "data"
    if not path.is_dir():
        if os.environ.get("TERRAWATT_REFERENCE_DATA"):
            pytest.fail(f"{path} is missing and TERRAWATT_REFERENCE_DATA is set")
        pytest.skip(f"{path} is absent: reference data not available")
    return path


class Cli:
    """The `terrawatt` program (TERRAWATT_BIN)."""

    def __init__(self, binary: str):
        self.binary = binary

    def run(self, *args, check=True):
        p = subprocess.run([self.binary, *map(str, args)], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"terrawatt {' '.join(map(str, args))} failed:\n{p.stderr}")
        return p

    def results(self, tmp_path, *args):
        """The results of a command, from its --report."""
        report = tmp_path / "cli-report.json"
        self.run(*args, "--report", report, "-q")
        return json.loads(report.read_text())["results"]

    def error(self, *args) -> str:
        """The message of a failing command (its `error: ` line)."""
        p = self.run(*args, check=False)
        assert p.returncode != 0, p.stdout
        lines = [l for l in p.stderr.splitlines() if l.startswith("error: ")]
        assert lines, p.stderr
        return lines[0][len("error: "):]


@pytest.fixture(scope="session")
def cli() -> Cli:
    binary = os.environ.get("TERRAWATT_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("TERRAWATT_BIN does not name the terrawatt program (scripts/python.sh sets it)")
    return Cli(binary)


def same_numbers(a, b, path="results", rel=1e-12, skip=()):
    """Every number of `a` equals `b`'s to `rel` (relative), walking dicts and lists;
    text is not compared (paths differ between runs)."""
    if isinstance(a, dict):
        assert isinstance(b, dict), path
        for k in a:
            if k in skip:
                continue
            assert k in b, f"{path}.{k} missing"
            same_numbers(a[k], b[k], f"{path}.{k}", rel, skip)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            same_numbers(x, y, f"{path}[{i}]", rel, skip)
    elif isinstance(a, bool) or a is None:
        assert a == b, path
    elif isinstance(a, (int, float)):
        assert isinstance(b, (int, float)), path
        if math.isnan(a):
            assert math.isnan(b), path
        else:
            assert math.isclose(a, b, rel_tol=rel, abs_tol=1e-300), f"{path}: {a} != {b}"
