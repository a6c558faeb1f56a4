"""``task=drift``: compare a current data file with a model's reference profile or a second file.

    lightship task=drift drift.current=today.parquet drift.reference=models:/lightship@champion
    lightship task=drift drift.current=today.csv drift.reference=path/to/bundle drift.text_column=body
    lightship task=drift drift.current=today.csv drift.reference=last_week.csv drift.columns=[amount,country]

``drift.reference`` is either a model (``models:/name@alias``, ``models:/name/3`` or a bundle
folder, resolved like the service's ``$LIGHTSHIP_MODEL``): the current inputs are scored with
that bundle's ONNX runtime and their features (text models: confidence, predicted class,
length, unknown tokens, embedding components; tabular models: the raw columns, with new
categories named, beside confidence and predicted class) are compared with the profile
stored in the bundle; or a data
file: its columns (``drift.columns``, default all) are profiled and compared with the same
columns of the current file. The whole file gives the verdict; when it spans several
``drift.window`` windows, each window's verdict is listed too (``metadata.windows``).

Writes ``drift_report.json`` and ``drift_report.html`` into the run folder and prints a summary.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig

from lightship.errors import ConfigError, DataError

log = logging.getLogger(__name__)

ACCEPTED_REFERENCES = ("a model (models:/<name>@<alias>, models:/<name>/<version> or a bundle folder) "
                       "or a data file (CSV, JSON lines or Parquet)")


def _is_model(reference: str) -> bool:
    return reference.startswith("models:/") or Path(reference).expanduser().is_dir()


def _nonempty(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    if len(frame) == 0:
        raise DataError(f"{path}: no rows to compare.")
    return frame


def model_features(cfg: DictConfig, reference: str, current: pd.DataFrame, source: Path) -> tuple[Any, pd.DataFrame, dict[str, Any]]:
    """Score the current inputs (texts, or rows of a tabular model's columns) with the referenced model;
    its profile, the feature table and what was scored."""
    from lightship.inference import load_runtime
    from lightship.monitoring.model_features import ModelFeatures
    from lightship.serving.reference import ModelReference, fetch
    from lightship.tracking.uri import resolve_tracking_uri

    column = cfg.drift.text_column or cfg.predict.text_column
    key = "drift.text_column" if cfg.drift.text_column else "drift.text_column (default: predict.text_column)"
    resolved = fetch(ModelReference.parse(reference, cfg.tracking.model_name, cfg.tracking.champion_alias),
                     resolve_tracking_uri(cfg.tracking.uri))
    try:
        serve = cfg.serve
        runtime = load_runtime(resolved.bundle, serve.provider.value, serve.intra_op_threads, serve.inter_op_threads,
                               io_binding=serve.io_binding)
        inputs, usable = runtime.inputs_from_frame(current, column, str(source), key)
        if not len(inputs):
            raise DataError(f"{source}: no rows the model can score (empty texts or missing values in every row).")
        features = ModelFeatures.from_bundle(resolved.bundle.path, runtime.labels)
        frame = features.frame(runtime.predict(inputs, batch_size=int(serve.max_batch_size)), inputs)
    finally:
        resolved.release()
    time_column = cfg.drift.window.time_column
    if time_column and time_column in current.columns:
        frame[time_column] = current.loc[usable, time_column].to_numpy()
    facts = {"reference_kind": "model", "model_version": resolved.version, "input_kind": runtime.bundle.input_kind,
             "rows_not_scored": int((~usable).sum())}
    if runtime.bundle.input_kind == "text":
        facts.update(text_column=column, rows_without_text=facts.pop("rows_not_scored"))
    return features.profile, frame, facts


def file_features(cfg: DictConfig, reference: Path, current: pd.DataFrame, source: Path) -> tuple[Any, pd.DataFrame, dict[str, Any]]:
    """Profile the reference file's columns; the current file must have the same ones."""
    from lightship.data.readers import read_table
    from lightship.monitoring.drift import ReferenceProfile

    reference_frame = _nonempty(read_table(reference), reference)
    time_column = cfg.drift.window.time_column
    columns = list(cfg.drift.columns) if cfg.drift.columns else [str(c) for c in reference_frame.columns if c != time_column]
    for frame, path in ((reference_frame, reference), (current, source)):
        absent = [name for name in columns if name not in frame.columns]
        if absent:
            raise DataError(f"{path}: columns {absent} (from {'drift.columns' if cfg.drift.columns else 'the reference file'}) "
                            f"not found. Columns in the file: {', '.join(map(str, frame.columns))}.")
    profile = ReferenceProfile.from_frame(reference_frame, columns=columns, max_rows=int(cfg.drift.max_reference_rows),
                                          seed=int(cfg.seed), metadata={"source": str(reference)})
    return profile, current, {"reference_kind": "data", "columns": columns}


def window_verdicts(detector: Any, frame: pd.DataFrame, window: Any) -> list[dict[str, Any]]:
    """One verdict per ``drift.window`` window of the current data (empty when it fits in one window)."""
    from lightship.monitoring.drift.windows import WindowSpec, iter_windows

    windows = list(iter_windows(frame, WindowSpec.from_config(window)))
    if len(windows) < 2:
        return []
    verdicts = []
    for window_rows in windows:
        report = detector.compare(window_rows.frame)
        verdicts.append({"start": str(window_rows.start), "end": str(window_rows.end), "n_rows": len(window_rows.frame),
                         "drifted": report.drifted, "drift_share": report.drift_share,
                         "drifted_features": report.drifted_features})
    return verdicts


def run(cfg: DictConfig) -> dict[str, Any]:
    """Compare ``drift.current`` with ``drift.reference``; write the JSON and HTML reports; return a summary."""
    from lightship.data.readers import read_table
    from lightship.monitoring.drift.report import write_report
    from lightship.monitoring.model_features import fitted_detector
    from lightship.tasks.context import output_dir

    spec = cfg.drift
    if not spec.current or not spec.reference:
        raise ConfigError("task=drift needs drift.current=PATH (CSV, JSON lines or Parquet) and drift.reference=REF, "
                          f"REF being {ACCEPTED_REFERENCES}.")
    source = Path(spec.current).expanduser()
    current = _nonempty(read_table(source), source)
    reference = str(spec.reference)
    if _is_model(reference):
        profile, frame, facts = model_features(cfg, reference, current, source)
    elif Path(reference).expanduser().is_file():
        profile, frame, facts = file_features(cfg, Path(reference).expanduser(), current, source)
    else:
        raise DataError(f"drift.reference={reference}: no such file or folder (resolved to {Path(reference).expanduser().resolve()}). "
                        f"Give {ACCEPTED_REFERENCES}.")
    detector = fitted_detector(spec, profile)
    windows = window_verdicts(detector, frame, spec.window)
    metadata = {"reference": reference, "current": str(source), **facts, "windows": windows}
    report = detector.compare(frame, metadata=metadata)
    out = output_dir()
    json_path, html_path = write_report(report, out)
    summary = {
        "output_dir": str(out), "report": str(json_path), "html": str(html_path), "drifted": report.drifted,
        "drift_share": report.drift_share, "drifted_features": report.drifted_features, "n_current": report.n_current,
        "reference": reference, "windows": len(windows), "drifted_windows": sum(w["drifted"] for w in windows),
    }
    print_summary(report, summary)
    return summary


def print_summary(report: Any, summary: dict[str, Any]) -> None:
    """One row per feature, drifted ones in red (rich)."""
    from rich.console import Console
    from rich.table import Table

    verdict = "[bold red]DRIFTED[/]" if report.drifted else "[green]no drift[/]"
    table = Table(title=f"lightship drift ({report.detector}): {verdict}, share {report.drift_share:.2f}")
    for name in ("feature", "test", "statistic", "p-value", "verdict"):
        table.add_column(name, justify="left" if name in ("feature", "test", "verdict") else "right")
    def number(value: Any) -> str:
        return "-" if value is None else f"{value:.4g}"

    for name, result in report.features.items():
        table.add_row(name, result.test, number(result.statistic), number(result.p_value),
                      "[red]drifted[/]" if result.drifted else "ok")
    if summary["windows"]:
        table.caption = f"{summary['drifted_windows']} of {summary['windows']} windows drifted"
    console = Console(stderr=True)
    console.print(table)
    console.print(f"report: {summary['report']}\n        {summary['html']}")
