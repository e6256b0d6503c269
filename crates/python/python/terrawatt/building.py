"""Buildings: load regression with the green model choice (accuracy against the energy of
the analysis), and CalTRACK weather-normalised baselines of metered use with ASHRAE
Guideline 14 metrics and savings with their uncertainty (``terrawatt building …``)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any, Mapping, Union

from ._core import Result, _call

__all__ = ["fit", "cv", "predict", "baseline", "savings"]


def _with_model_file(command, options, model_option, **kw) -> Result:
    """Runs a command whose ``--out`` (or ``--model``) is a model file: the model comes
    back as ``result.model`` (a dict) whether or not the caller names a file."""
    options = dict(options)
    workdir = None
    try:
        model = options.get(model_option)
        if isinstance(model, Mapping):
            workdir = tempfile.mkdtemp(prefix="terrawatt-")
            path = os.path.join(workdir, "model.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(model, f)
            options[model_option] = path
        out = options.get("out") if model_option == "out" else None
        rename = {}
        if model_option == "out" and out is None:
            workdir = workdir or tempfile.mkdtemp(prefix="terrawatt-")
            options["out"] = os.path.join(workdir, "model.json")
            rename[options["out"]] = "result.model"
        if isinstance(model, Mapping):
            rename[options[model_option]] = "the model given as a dict"
        r = _call(command, options, rename=rename, tz=options.get("tz"), **kw)
        if model_option == "out":
            with open(options["out"], encoding="utf-8") as f:
                r.model = json.load(f)
            r.model_path = out
        return r
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def fit(data: Any, **options: Any) -> Result:
    """Fits a load model, as ``terrawatt building fit``: ``target``, ``features`` or
    ``exclude``, ``model`` (ols, ridge, elasticnet, tree, forest, gbm, or auto: every
    family cross-validated with its training and inference energy, and the cheapest within
    ``tolerance`` of the best MAE picked). The model is ``result.model`` (a dict; ``out``
    saves it too); with auto, ``result["candidates"]`` holds every family's MAE and energy.

    >>> r = terrawatt.building.fit("buildings.csv", target="heating_kwh_m2",
    ...                            exclude="cooling_kwh_m2", model="auto")
    >>> r["model"], [(c["model"], c["picked"]) for c in r["candidates"]], r.energy.joules
    """
    return _with_model_file(["building", "fit"], {"data": data, **options}, "out", tables_in=["data"])


def cv(data: Any, **options: Any) -> Result:
    """Cross-validates a model, as ``terrawatt building cv``: the scores per fold
    (``folds_out``) and the out-of-fold predictions (``oof_out``) as tables."""
    return _call(
        ["building", "cv"],
        {"data": data, **options},
        tables_in=["data"],
        tables_out=["folds_out", "oof_out"],
    )


def predict(model: Union[str, "os.PathLike[str]", Mapping[str, Any]], data: Any, **options: Any) -> Result:
    """Predictions of a fitted model (a file or ``fit(...).model``) on ``data``
    (``result.table``)."""
    return _with_model_file(
        ["building", "predict"], {"model": model, "data": data, **options}, "model",
        tables_in=["data"], tables_out=["out"],
    )


def baseline(meter: Any, temperature: Any, **options: Any) -> Result:
    """A CalTRACK baseline of metered use, as ``terrawatt building baseline``: ``freq``
    (daily, hourly, billing), ``start``/``end`` of the baseline period,
    ``temperature_unit`` (F or C); the model with its ASHRAE Guideline 14 metrics
    (CV(RMSE), NMBE) is ``result.model`` (``out`` saves it too).

    ``meter`` and ``temperature``: files or frames (a time column with UTC offsets, or a
    zoned time index).

    >>> b = terrawatt.building.baseline(meter, temps, temperature_unit="F", freq="daily",
    ...                                 end="2025-01-01")
    >>> b.model["model"]["kind"], b.model["fit"]        # the fit holds CV(RMSE) and NMBE
    """
    options.setdefault("freq", "daily")
    return _with_model_file(
        ["building", "baseline"], {"meter": meter, "temperature": temperature, **options}, "out",
        tables_in=["meter", "temperature"],
    )


def savings(model: Union[str, "os.PathLike[str]", Mapping[str, Any]], meter: Any, temperature: Any, **options: Any) -> Result:
    """Savings of a reporting period against a baseline (a file or ``baseline(...).model``),
    as ``terrawatt building savings``: avoided energy with its ASHRAE Guideline 14
    uncertainty at ``confidence`` (``result.results``), each period's observed and
    predicted use (``result.table``)."""
    return _with_model_file(
        ["building", "savings"],
        {"model": model, "meter": meter, "temperature": temperature, **options},
        "model",
        tables_in=["meter", "temperature"],
        tables_out=["out"],
    )
