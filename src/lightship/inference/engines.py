"""Where ``task=predict`` scores a file: ``predict.engine`` names the class (``local`` or ``ray``).

Both engines score with the same :class:`ChunkScorer` (the serving runtime, opened from a
pinned model version) and hand the scored frames to the same sink in input order, so the
output file is the same whichever engine wrote it (the random ``pred_id`` aside).

- :class:`LocalEngine` (default): one runtime in this process, chunk after chunk.
- :class:`RayEngine`: Ray Data batches (``map_batches``) over a pool of actors, each opening
  the runtime once; ``preserve_order`` keeps the rows in input order. It joins
  ``predict.ray.address`` (or ``$RAY_ADDRESS``), else starts a local Ray instance.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Protocol

import pandas as pd

from lightship.errors import LightshipError

log = logging.getLogger(__name__)

Write = Callable[[pd.DataFrame], None]


@dataclass(frozen=True)
class ChunkScorer:
    """How to score a chunk: the model (a fixed version or a bundle folder) and the runtime and output settings.

    Picklable, so every Ray actor opens its own runtime from it (on a cluster, from the tracking store).
    """

    model: str
    tracking_uri: str
    version: str
    # The bundle already downloaded by the caller: processes on the same machine open it instead of fetching ``model``.
    local_bundle: Optional[str] = None
    provider: str = "cpu"
    intra_op_threads: int = 0
    inter_op_threads: int = 0
    io_binding: bool = False
    precision: str = "fp32"
    text_column: str = "text"
    batch_size: int = 64
    prefix: str = "pred_"
    where: str = "input"

    def open(self) -> "OpenScorer":
        """Fetch the bundle and load its runtime (once per process or actor)."""
        from pathlib import Path

        from lightship.serving.reference import ModelReference, fetch

        if self.local_bundle and Path(self.local_bundle).is_dir():
            return OpenScorer(self, self._load(self.local_bundle))
        resolved = fetch(ModelReference.parse(self.model, "", ""), self.tracking_uri)
        try:
            return OpenScorer(self, self._load(resolved.bundle))
        finally:
            resolved.release()

    def _load(self, bundle: Any) -> Any:
        from lightship.inference import load_runtime

        return load_runtime(bundle, self.provider, self.intra_op_threads, self.inter_op_threads,
                            io_binding=self.io_binding, precision=self.precision)


class OpenScorer:
    """A :class:`ChunkScorer` with its runtime loaded: call it on a chunk to get the chunk plus its prediction columns."""

    def __init__(self, scorer: ChunkScorer, runtime: Any) -> None:
        self.scorer, self.runtime = scorer, runtime

    def __call__(self, chunk: pd.DataFrame) -> pd.DataFrame:
        from lightship.tasks.predict import score_frame

        s = self.scorer
        return score_frame(self.runtime, chunk, s.text_column, s.batch_size, s.version, s.where, s.prefix)


class ScoringEngine(Protocol):
    def run(self, chunks: Iterable[pd.DataFrame], scorer: ChunkScorer, write: Write) -> str:
        """Score every chunk, ``write`` the scored frames in input order; return the execution provider used."""
        ...


class LocalEngine:
    """In this process: one runtime, the chunks one after another."""

    def run(self, chunks: Iterable[pd.DataFrame], scorer: ChunkScorer, write: Write) -> str:
        opened = scorer.open()
        for chunk in chunks:
            write(opened(chunk))
        return str(opened.runtime.provider_in_use)


class _RayScorer:
    """The Ray Data callable class: one opened runtime per actor, reused for every batch."""

    def __init__(self, scorer: ChunkScorer) -> None:
        self.opened = scorer.open()

    def __call__(self, batch: Any) -> pd.DataFrame:
        # Arrow in, converted as pandas converts a file it reads (numpy dtypes), so scoring sees what the local engine sees.
        return self.opened(batch.to_pandas())


class RayEngine:
    """Ray Data: the chunks become a dataset, scored in ``batch_rows`` batches by ``actors`` actors, read back in order."""

    def __init__(self, address: Optional[str] = None, num_cpus: Optional[int] = None, actors: int = 2, batch_rows: int = 2000) -> None:
        self.address, self.num_cpus, self.actors, self.batch_rows = address, num_cpus, actors, batch_rows

    def run(self, chunks: Iterable[pd.DataFrame], scorer: ChunkScorer, write: Write) -> str:
        import ray
        import ray.data

        from lightship.ray_cluster import connect

        # Read here with lightship's readers, so the columns are exactly the local engine's (the index is not a column).
        frames = [chunk.reset_index(drop=True) for chunk in chunks]
        if not frames:
            return f"ray ({scorer.provider})"
        connect(self.address, self.num_cpus, log_to_driver=False)
        ray.data.DataContext.get_current().execution_options.preserve_order = True
        dataset = ray.data.from_pandas(frames).map_batches(
            _RayScorer, fn_constructor_args=(scorer,), batch_size=self.batch_rows, batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=self.actors), num_cpus=1, udf_modifying_row_count=False,
        )
        try:
            for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
                write(batch.to_pandas())
        except ray.exceptions.RayTaskError as exc:  # a refused input inside an actor: report it as the local engine would
            cause = getattr(exc, "cause", None)
            if isinstance(cause, LightshipError):
                raise cause from None
            raise
        return f"ray ({scorer.provider})"
