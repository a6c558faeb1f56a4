"""``task=predict``: score a CSV, JSON lines or Parquet file (or, for an image model, a folder of images) with the serving runtime.

The model is named like the service's (``predict.model``, else ``$LIGHTSHIP_MODEL``, else
the champion alias); the runtime and the per-batch scoring are the service's own, so a
file scored here gets the same probabilities as ``POST /predict``. The input is streamed
in ``predict.chunk_size`` rows; the output (``predict.output``, extension picks the
format) lands in the run's output folder with the input's columns, unchanged, followed by
the outputs, each named with ``predict.output_prefix`` (default ``pred_``): ``pred_id``,
``pred_label``, ``pred_confidence``, ``pred_p_<label>`` per class and ``pred_model_version``.
An input that already has a column with one of those names is refused before anything is
written (so a ground-truth ``label`` column, or an earlier score, is never overwritten).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from lightship.errors import ConfigError, DataError

log = logging.getLogger(__name__)


def output_names(prefix: str, labels: list[str]) -> list[str]:
    """The columns ``task=predict`` adds, in order."""
    return [f"{prefix}{name}" for name in ("id", "label", "confidence", *(f"p_{label}" for label in labels), "model_version")]


def check_no_collision(frame: pd.DataFrame, prefix: str, labels: list[str], where: str) -> None:
    """Refuse an input whose columns would be overwritten by the outputs."""
    taken = [name for name in output_names(prefix, labels) if name in frame.columns]
    if taken:
        raise DataError(
            f"{where}: column(s) {taken} would be overwritten by the predictions. Rename them, or set "
            f"predict.output_prefix to a prefix no input column starts with (now '{prefix}')."
        )


def score_frame(
    runtime: Any, frame: pd.DataFrame, text_column: str, batch_size: int, version: str, where: str = "input", prefix: str = "pred_"
) -> pd.DataFrame:
    """The chunk, unchanged, with the prediction columns after it; rows the model cannot read
    (a missing or empty text) get no label."""
    from lightship.inference.scoring import score

    check_no_collision(frame, prefix, runtime.labels, where)
    inputs, usable = runtime.inputs_from_frame(frame, text_column, where, "predict.text_column")
    items = [item for start in range(0, len(inputs), batch_size) for item in score(runtime, inputs[start : start + batch_size]).items]
    outputs = pd.DataFrame(index=frame.index)
    outputs[f"{prefix}id"], outputs[f"{prefix}label"], outputs[f"{prefix}confidence"] = None, None, float("nan")
    outputs.loc[usable, f"{prefix}id"] = [item.id for item in items]
    outputs.loc[usable, f"{prefix}label"] = [item.label for item in items]
    outputs.loc[usable, f"{prefix}confidence"] = [item.confidence for item in items]
    for label in runtime.labels:
        outputs[f"{prefix}p_{label}"] = float("nan")
        outputs.loc[usable, f"{prefix}p_{label}"] = [item.probabilities[label] for item in items]
    outputs[f"{prefix}model_version"] = version
    return pd.concat([frame, outputs], axis=1)


def image_folder_chunks(folder: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    """The PNG/JPEG files under ``folder`` (recursively, sorted) as frames of a ``path`` column, ``chunk_size`` rows each."""
    from lightship.data.image_folder import PATH, SUFFIXES

    files = sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES)
    if not files:
        raise DataError(f"predict.input={folder}: a folder without {'/'.join(SUFFIXES)} files.")
    for start in range(0, len(files), chunk_size):
        yield pd.DataFrame({PATH: files[start : start + chunk_size]})


def _progress_total(path: Path) -> int | None:
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    return None


def run(cfg: DictConfig) -> dict[str, Any]:
    """Score ``predict.input``; return the output path, row counts and the model version."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from lightship.config.targets import instantiate
    from lightship.data.readers import iter_table
    from lightship.inference.engines import ChunkScorer
    from lightship.serving.reference import ModelReference, fetch
    from lightship.serving.settings import MODEL_ENV
    from lightship.serving.sinks import open_sink
    from lightship.tasks.context import output_dir
    from lightship.tracking.uri import resolve_tracking_uri

    spec = cfg.predict
    if not spec.input:
        raise ConfigError("task=predict needs predict.input=PATH (a CSV, JSON lines or Parquet file with a text column).")
    source = Path(spec.input).expanduser()
    if not source.is_file() and not source.is_dir():
        raise DataError(f"predict.input={spec.input}: no such file (resolved to {source.resolve()}). Give a CSV, JSON lines or Parquet file "
                        "(or, for an image model, a folder of images).")
    if spec.chunk_size < 1:
        raise ConfigError(f"predict.chunk_size={spec.chunk_size}: must be a positive number of rows.")
    reference = ModelReference.parse(spec.model or os.environ.get(MODEL_ENV), cfg.tracking.model_name, cfg.tracking.champion_alias)
    tracking_uri = resolve_tracking_uri(cfg.tracking.uri)
    resolved = fetch(reference, tracking_uri)
    serve = cfg.serve
    pinned = str(reference.path) if reference.path is not None else f"models:/{reference.name}/{resolved.version}"  # an alias may move meanwhile
    scorer = ChunkScorer(
        pinned, tracking_uri, resolved.version, str(resolved.bundle.path), serve.provider.value, serve.intra_op_threads,
        serve.inter_op_threads, serve.io_binding, serve.precision.value, spec.text_column, int(serve.max_batch_size),
        spec.output_prefix, str(source),
    )
    # The engine's class, with its settings: the ``predict`` node named after it (``predict.ray``), when there is one.
    engine = instantiate(OmegaConf.create({"_target_": spec.engine.value, **(spec.get(spec.engine.name) or {})}), list(cfg.allowed_targets))
    destination = output_dir() / spec.output
    sink = open_sink(destination)
    rows = labelled = 0
    columns = [TextColumn("scoring {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    try:
        with Progress(*columns, transient=False) as progress:
            task = progress.add_task(source.name, total=_progress_total(source))

            def write(scored: pd.DataFrame) -> None:
                nonlocal rows, labelled
                sink.write(scored)
                rows += len(scored)
                labelled += int(scored[f"{spec.output_prefix}label"].notna().sum())
                progress.update(task, advance=len(scored))

            chunks = image_folder_chunks(source, int(spec.chunk_size)) if source.is_dir() else iter_table(source, chunk_size=int(spec.chunk_size))
            provider = engine.run(chunks, scorer, write)
    finally:
        sink.close()
        resolved.release()
    if rows == 0:
        raise DataError(f"{source}: no rows to score.")
    summary = {"output": str(destination), "rows": rows, "scored": labelled, "skipped_empty": rows - labelled,
               "model": reference.text, "model_version": resolved.version, "provider": provider, "engine": spec.engine.name}
    log.info("Batch scoring: %s", summary)
    return summary
