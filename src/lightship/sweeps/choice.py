"""Which model to ship, decided from a sweep's leaderboard by stated rules.

``experiment=model_choice`` trains the baseline (``tfidf_linear``), the custom model
(``tiny_bert``) and the pretrained one (``minilm``) on the user's file; when the sweep
ends, :class:`ModelChoiceCallback` reads the leaderboard rows and applies, in order:

1. **Latency budget**: rows slower than ``choice.latency_budget_ms`` per input at batch 1
   are out (when every row is over budget, the fastest is recommended and the line says so).
2. **Scarce labels**: with fewer than ``choice.scarce_rows`` training rows, a pretrained
   model within ``choice.margin`` macro-F1 of the best is recommended: its prior knowledge
   is what small data lacks, and its score on a small test split is the least over-fitted.
3. **Cheapest within the margin**: otherwise, among the models within ``choice.margin``
   macro-F1 of the best, the one with the lowest batch-1 latency (then the smallest graph)
   is recommended: a baseline or custom model that comes that close at a fraction of the
   latency or size is the better production choice.

Example::

    >>> recommend([
    ...     {"model": "tfidf_linear", "family": "baseline", "macro_f1": 0.975, "onnx_ms_per_text": 0.2, "onnx_mb": 2.0, "train_rows": 1555},
    ...     {"model": "minilm", "family": "pretrained", "macro_f1": 0.980, "onnx_ms_per_text": 9.0, "onnx_mb": 90.0, "train_rows": 1555},
    ... ], latency_budget_ms=None, margin=0.01, scarce_rows=1000).model
    'tfidf_linear'
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger(__name__)

RECOMMENDATION_FILE = "recommendation.json"
SCORE, LATENCY, SIZE = "macro_f1", "onnx_ms_per_text", "onnx_mb"


@dataclass
class Recommendation:
    model: str
    reason: str
    overrides: str = ""

    def line(self) -> str:
        return f"Recommended: {self.model} ({self.reason})"


def _name(row: dict[str, Any]) -> str:
    return str(row.get("model") or row.get("overrides") or row.get("job"))


def recommend(rows: Sequence[dict[str, Any]], latency_budget_ms: Optional[float], margin: float, scarce_rows: int) -> Recommendation:
    """Apply the module's rules to leaderboard rows (each with model, family, macro_f1, latency, size, train_rows)."""
    scored = [row for row in rows if isinstance(row.get(SCORE), (int, float))]
    if not scored:
        raise ValueError("no leaderboard row has a macro_f1: nothing to recommend")
    in_budget = [row for row in scored if latency_budget_ms is None or row[LATENCY] <= latency_budget_ms]
    if not in_budget:
        fastest = min(scored, key=lambda row: row[LATENCY])
        return Recommendation(_name(fastest), f"every model is over choice.latency_budget_ms={latency_budget_ms}; "
                              f"this is the fastest at {fastest[LATENCY]:.3g} ms per input", fastest.get("overrides", ""))
    best = max(in_budget, key=lambda row: (row[SCORE], -row[LATENCY]))
    close = [row for row in in_budget if row[SCORE] >= best[SCORE] - margin]
    train_rows = max(int(row.get("train_rows") or 0) for row in scored)
    pretrained = [row for row in close if row.get("family") == "pretrained"]
    if train_rows < scarce_rows and pretrained:
        chosen = max(pretrained, key=lambda row: row[SCORE])
        return Recommendation(_name(chosen), f"labelled data is scarce ({train_rows} training rows < choice.scarce_rows={scarce_rows}) "
                              f"and it is within {margin} macro-F1 of the best ({chosen[SCORE]:.4f} vs {best[SCORE]:.4f})",
                              chosen.get("overrides", ""))
    chosen = min(close, key=lambda row: (row[LATENCY], row.get(SIZE, 0.0)))
    if chosen is best:
        reason = f"best macro-F1 ({best[SCORE]:.4f}); no cheaper model within {margin}"
    else:
        reason = (f"macro-F1 {chosen[SCORE]:.4f}, within {margin} of the best ({_name(best)}, {best[SCORE]:.4f}), at "
                  f"{chosen[LATENCY] / max(best[LATENCY], 1e-9):.2g}x its latency and {chosen.get(SIZE, 0) / max(best.get(SIZE, 0), 1e-9):.2g}x its size")
    return Recommendation(_name(chosen), reason, chosen.get("overrides", ""))


class ModelChoiceCallback(Callback):
    """After every job and when a multirun ends: the recommendation (``recommendation.json`` and the end of
    ``leaderboard.md``), printed at the end. Written per job too, so a job that fails (Hydra then
    stops before ``on_multirun_end``) leaves the recommendation among the models that worked."""

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        from lightship.sweeps.leaderboard import in_multirun, record_failed_job

        if in_multirun(config):
            record_failed_job(config, job_return)
            self._write(config)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from rich.console import Console

        result = self._write(config)
        if result is not None:
            Console(stderr=True).print(f"[bold]{result.line()}[/bold]")

    @staticmethod
    def _write(config: DictConfig) -> Optional[Recommendation]:
        from lightship.sweeps.leaderboard import LEADERBOARD_MD, collect_rows, write_text_atomically

        sweep_dir = Path(config.hydra.sweep.dir)
        rows = collect_rows(sweep_dir)
        if not any(isinstance(row.get(SCORE), (int, float)) for row in rows):
            log.warning("model choice: no job under %s has finished with a score yet; nothing to recommend", sweep_dir)
            return None
        choice = config.choice
        result = recommend(rows, choice.latency_budget_ms, choice.margin, choice.scarce_rows)
        write_text_atomically(sweep_dir / RECOMMENDATION_FILE, json.dumps(asdict(result), indent=2))
        board = sweep_dir / LEADERBOARD_MD
        if board.is_file():
            text = board.read_text().split("\nRecommended: ")[0].rstrip("\n")
            write_text_atomically(board, f"{text}\n\n{result.line()}\n")
        return result
