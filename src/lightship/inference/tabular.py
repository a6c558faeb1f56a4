"""The tabular runtime: raw rows (column -> value) in, the graph does fill, standardisation and category lookup.

Graph inputs ``numeric`` (float32, NaN where missing) and ``categorical`` (strings),
built from rows by the bundle's schema (:class:`lightship.data.tabular_schema.TabularSchema`)
through the same code for parity, serving, batch scoring and drift; outputs ``logits``
(and ``embedding`` for neural models).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from lightship.bundle import Bundle
from lightship.data.tabular_schema import CATEGORICAL, NUMERIC, TabularSchema
from lightship.inference.runtime import OnnxClassifier, Predictions, softmax


class OnnxTabularClassifier(OnnxClassifier):
    """Rows as dicts (or a data frame's records) -> probabilities; counts categories never seen in training."""

    kind = "tabular"

    def __init__(self, bundle: Bundle | str | Path, *args: Any, **kwargs: Any) -> None:
        super().__init__(bundle, *args, **kwargs)
        self.schema = TabularSchema.from_input_spec(self.bundle.input)

    def encode(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
        return self.schema.arrays(rows)

    def predict(self, rows: Sequence[Mapping[str, Any]], batch_size: int = 256) -> Predictions:
        probabilities, embeddings = [], []
        for start in range(0, len(rows), batch_size):
            logits, embedding = self.run(self.encode(rows[start : start + batch_size]))
            probabilities.append(softmax(logits.astype(np.float64)))
            embeddings.append(embedding)
        if not probabilities:
            return Predictions.empty(len(self.labels))
        n = sum(len(p) for p in probabilities)
        return Predictions(np.concatenate(probabilities), np.concatenate(embeddings), np.zeros(n, int), np.zeros(n, int), self.rule)

    def score(self, rows: Sequence[Mapping[str, Any]], max_rows: Optional[int] = None, max_tokens: Optional[int] = None) -> Any:
        """One request batch: encode, run (in chunks of ``max_rows``), post-process; counts unseen categories."""
        from lightship.inference.scoring import ScoredBatch, scored_items

        started = time.perf_counter()
        encoded = self.encode(rows)
        unseen = self.schema.unseen(encoded["categorical"])
        encoded_at = time.perf_counter()
        step = max_rows or max(len(rows), 1)
        outputs = [self.run({name: array[i : i + step] for name, array in encoded.items()}) for i in range(0, len(rows), step)]
        logits = np.concatenate([o[0] for o in outputs]) if outputs else np.zeros((0, len(self.labels)), np.float32)
        embeddings = np.concatenate([o[1] for o in outputs]) if outputs else np.zeros((0, 0), np.float32)
        inferred = time.perf_counter()
        probabilities = softmax(logits.astype(np.float64))
        items = scored_items(probabilities, self.labels, rule=self.rule)
        seconds = {"encode": encoded_at - started, "inference": inferred - encoded_at, "postprocess": time.perf_counter() - inferred}
        return ScoredBatch(items, len(items), 0, seconds, probabilities, embeddings, encoded, max(len(outputs), 1), unseen)

    def smoke_inputs(self, configured_texts: Sequence[str]) -> list[Any]:
        """One typical row (first category, fill value) and one all-unknown row."""
        typical = {c.name: (c.categories[0] if c.categories else "x") if c.type == CATEGORICAL else
                   (bool(round(c.fill)) if c.type != NUMERIC else c.fill) for c in self.schema.columns}
        unusual = {c.name: "lightship-smoke-unseen" if c.type == CATEGORICAL else typical[c.name] for c in self.schema.columns}
        return [typical, unusual]

    def batch_predictions(self, batch: Any) -> Predictions:
        n = len(batch.probabilities)
        return Predictions(batch.probabilities, batch.embeddings, np.zeros(n, int), np.zeros(n, int), self.rule)

    def inputs_from_frame(self, frame: Any, column: Optional[str] = None, where: str = "input", key: str = "") -> tuple[list[Any], Any]:
        """Each row's values of the model's columns (all rows are usable: missing values are the graph's to fill)."""
        import pandas as pd

        from lightship.data.tabular_schema import require_columns

        require_columns(frame, self.schema.names, where)
        records = frame[self.schema.names].astype(object).where(frame[self.schema.names].notna(), None).to_dict("records")
        return records, pd.Series(True, index=frame.index)


