"""The image runtime: PNG/JPEG bytes (or base64 of them, or decoded uint8 arrays) in; the graph resizes and normalises.

Decoding (:func:`lightship.data.images.decode_image`, in the bundle's ``input.mode``) is the
only step outside the graph, and it is timed as its own stage. The graph takes one image
size per run, so a batch is run in groups of equal size and answered in request order.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from lightship.data.images import ImageProblem, encode_png, to_array
from lightship.inference.runtime import OnnxClassifier, Predictions, softmax

log = logging.getLogger(__name__)


class OnnxImageClassifier(OnnxClassifier):
    """Images -> probabilities and the pooled embedding (see the module docstring)."""

    kind = "image"

    @property
    def mode(self) -> str:
        return str(self.bundle.input.get("mode", "RGB"))

    @property
    def max_pixels(self) -> int:
        return int(self.bundle.input.get("max_pixels", 4096 * 4096))

    def decode(self, item: Any) -> np.ndarray:
        """One input as ``uint8 [height, width, channels]`` (see :func:`lightship.data.images.to_array`)."""
        return to_array(item, self.mode, self.max_pixels)

    def encode(self, inputs: Sequence[Any]) -> dict[str, np.ndarray]:
        from lightship.models.image_cnn import stack_batch

        return {"image": stack_batch([self.decode(item) for item in inputs])}

    def run_grouped(self, images: Sequence[np.ndarray], max_rows: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Logits and embeddings in input order, running equal-size images together (at most ``max_rows`` a run)."""
        groups: dict[tuple, list[int]] = {}
        for index, image in enumerate(images):
            groups.setdefault(image.shape, []).append(index)
        logits: list[Any] = [None] * len(images)
        embeddings: list[Any] = [None] * len(images)
        runs = 0
        for indices in groups.values():
            for start in range(0, len(indices), max_rows):
                chunk = indices[start : start + max_rows]
                out_logits, out_embedding = self.run({"image": np.ascontiguousarray(np.stack([images[i] for i in chunk]))})
                runs += 1
                for row, i in enumerate(chunk):
                    logits[i], embeddings[i] = out_logits[row], out_embedding[row]
        if not images:
            return np.zeros((0, len(self.labels)), np.float32), np.zeros((0, 0), np.float32), 0
        return np.stack(logits), np.stack(embeddings), runs

    def predict(self, inputs: Sequence[Any], batch_size: int = 64) -> Predictions:
        logits, embeddings, _ = self.run_grouped([self.decode(item) for item in inputs], batch_size)
        n = len(logits)
        if not n:
            return Predictions.empty(len(self.labels))
        return Predictions(softmax(logits.astype(np.float64)), embeddings, np.zeros(n, int), np.zeros(n, int), self.rule)

    def score(self, inputs: Sequence[Any], max_rows: Optional[int] = None, max_tokens: Optional[int] = None) -> Any:
        """One request batch: decode (its own stage), run by size group, post-process."""
        from lightship.inference.scoring import ScoredBatch, scored_items

        started = time.perf_counter()
        images = [self.decode(item) for item in inputs]
        decoded = time.perf_counter()
        logits, embeddings, runs = self.run_grouped(images, max_rows or max(len(images), 1))
        inferred = time.perf_counter()
        probabilities = softmax(logits.astype(np.float64))
        items = scored_items(probabilities, self.labels, rule=self.rule)
        seconds = {"decode": decoded - started, "inference": inferred - decoded, "postprocess": time.perf_counter() - inferred}
        encoded = {"image": np.stack(images)} if len({image.shape for image in images}) == 1 else {}
        return ScoredBatch(items, len(items), 0, seconds, probabilities, embeddings, encoded, max(runs, 1))

    def smoke_inputs(self, configured_texts: Sequence[str]) -> list[Any]:
        """A dark and a gradient image at the model's input size, as PNG bytes (so the decoder is exercised too)."""
        side, channels = int(self.bundle.input.get("input_size", 32)), int(self.bundle.input.get("channels", 3))
        gradient = np.tile(np.linspace(0, 255, side, dtype=np.uint8)[None, :, None], (side, 1, channels))
        return [encode_png(np.zeros((side, side, channels), np.uint8)), encode_png(gradient)]

    def batch_predictions(self, batch: Any) -> Predictions:
        n = len(batch.probabilities)
        return Predictions(batch.probabilities, batch.embeddings, np.zeros(n, int), np.zeros(n, int), self.rule)

    def inputs_from_frame(self, frame: Any, column: Optional[str] = None, where: str = "input", key: str = "the path column") -> tuple[list[Any], Any]:
        """Decoded images: the frame's ``image`` column, or the files its path column names (``column``, else ``path``;
        relative paths from the folder of ``where`` when it is a file). Files that are missing or do not decode are
        not usable, and are named in one warning."""
        import pandas as pd

        from lightship.data.image_folder import IMAGE, PATH
        from lightship.data.readers import require_column

        if IMAGE in frame.columns:
            return frame[IMAGE].tolist(), pd.Series(True, index=frame.index)
        name = column if column and column in frame.columns else PATH
        require_column(frame, name, key, where)
        base = Path(where).parent if Path(where).is_file() else Path.cwd()
        images, usable, problems = [], [], []
        for value in frame[name]:
            path = base / str(value)
            try:
                images.append(self.decode(path.read_bytes()))
                usable.append(True)
            except (OSError, ImageProblem) as exc:
                usable.append(False)
                problems.append(f"{path} ({exc})")
        if problems:
            log.warning("%s: %d image(s) not scored: %s", where, len(problems), "; ".join(problems[:5]))
        return images, pd.Series(usable, index=frame.index)
