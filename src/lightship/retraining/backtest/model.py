"""The model a backtest serves: a bundle, read by the same runtime and drift features as production.

A backtest replays weeks of traffic and retrains many times, so it skips what only a
release needs (parity, faster graphs, MLflow, gates) and keeps what the decisions depend
on: the model spec's own ``fit`` and ``export``, the bundle's runtime
(:func:`lightship.inference.load_runtime`, chosen by the bundle's input kind), the decision
threshold chosen on validation as the release chooses it, and the reference profile and
drift features the live monitor reads (:class:`lightship.monitoring.model_features.ModelFeatures`).
Text, tables and any other input kind go through the same code.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import pandas as pd
from omegaconf import DictConfig

from lightship.data.splits import SplitData
from lightship.inference.runtime import Predictions


@dataclass
class LiveModel:
    """A fitted model, its bundle's runtime and drift features, and a detector fitted on its reference."""

    spec: Any
    fit_result: Any
    data: SplitData
    runtime: Any
    features: Any
    detector: Any
    trained_at: datetime
    folder: Optional[tempfile.TemporaryDirectory] = field(default=None, repr=False)

    @classmethod
    def open(cls, bundle_dir: Path, make_detector: Callable[[], Any], trained_at: datetime) -> "LiveModel":
        """A bundle as the backtest serves it (no fit result: it can be replayed, not updated in place)."""
        runtime, features, detector = open_bundle(bundle_dir, make_detector)
        return cls(None, None, None, runtime, features, detector, trained_at)

    @property
    def labels(self) -> list[str]:
        return list(self.runtime.labels)

    @property
    def label_to_id(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.labels)}

    @property
    def vocabulary(self) -> dict[str, set[str]]:
        """Per input column with a vocabulary (a table's categorical columns), the categories it was trained on."""
        return {column["name"]: set(column["categories"]) for column in self.runtime.input_spec.get("columns", []) if "categories" in column}

    def inputs(self, rows: pd.DataFrame) -> list[Any]:
        """The raw model inputs of ``rows`` (texts, or rows of the bundle's columns), as serving receives them."""
        from lightship.release.pipeline import split_inputs

        return split_inputs(self.runtime, rows)

    def predict(self, inputs: Sequence[Any]) -> Predictions:
        """The runtime's predictions, with the bundle's decision rule (``label_ids`` apply its threshold)."""
        return self.runtime.predict(inputs)

    def feature_frame(self, inputs: Sequence[Any], predictions: Predictions) -> pd.DataFrame:
        """The monitored features of ``inputs`` (what the live monitor computes)."""
        return self.features.frame(predictions, inputs)

    def republish(self, cfg: DictConfig, held_out: pd.DataFrame, make_detector: Callable[[], Any]) -> None:
        """After an in-place update: export again, re-choose the threshold and the reference on ``held_out`` rows."""
        data = replace(self.data, val=held_out, test=held_out)
        self.runtime, self.features, self.detector = publish(cfg, self.spec, self.fit_result, data, Path(self.folder.name), make_detector)


def publish(cfg: DictConfig, spec: Any, fit_result: Any, data: SplitData, folder: Path, make_detector: Callable[[], Any]) -> tuple[Any, Any, Any]:
    """Bundle, runtime, calibration, decision rule and reference profile of a fitted model, as the release makes them.

    Returns the runtime, its drift features and a detector fitted on its reference profile.
    """
    from lightship.bundle import start_bundle
    from lightship.inference import load_runtime
    from lightship.release.pipeline import calibrate_bundle, choose_decision_rule, write_reference_profile

    high_risk = cfg.data.high_risk_label if cfg.data.high_risk_label in data.labels else None
    bundle = start_bundle(folder, labels=data.labels, high_risk_label=high_risk, model={"name": cfg.model.name, "spec": cfg.model._target_},
                          config_yaml="", **spec.bundle_fields(fit_result, data))
    spec.export(fit_result, data, bundle, cfg.export)
    runtime = load_runtime(bundle)
    calibrate_bundle(cfg.calibration, runtime, data, bundle)
    choose_decision_rule(cfg.metrics, runtime, data, high_risk, bundle)
    bundle.update(reference_profile=write_reference_profile(cfg, runtime, data, bundle))
    return open_bundle(bundle.path, make_detector)


def open_bundle(bundle_dir: Path, make_detector: Callable[[], Any]) -> tuple[Any, Any, Any]:
    """The bundle's runtime (its calibration and threshold read from the manifest, as serving reads them), drift features and detector."""
    from lightship.inference import load_runtime
    from lightship.monitoring.model_features import ModelFeatures

    runtime = load_runtime(bundle_dir)
    features = ModelFeatures.from_bundle(bundle_dir, runtime.labels)
    return runtime, features, make_detector().fit(features.profile)


def train_live_model(cfg: DictConfig, spec: Any, data: SplitData, trained_at: datetime, make_detector: Callable[[], Any]) -> tuple[LiveModel, float]:
    """Fit on ``data`` with the spec's ``fit`` (``task=train``'s), publish it; return the model and the training seconds."""
    from lightship.models.protocol import FitContext

    folder = tempfile.TemporaryDirectory(prefix="lightship-backtest-")
    with tempfile.TemporaryDirectory() as scratch:
        fit_result = spec.fit(data, FitContext(cfg.trainer, cfg.data, cfg.seed, Path(scratch)))
    runtime, features, detector = publish(cfg, spec, fit_result, data, Path(folder.name), make_detector)
    return LiveModel(spec, fit_result, data, runtime, features, detector, trained_at, folder), fit_result.train_seconds
