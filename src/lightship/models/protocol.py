"""What the release pipeline asks of a model spec, whatever the family (Lightning or not, text or tabular).

A ``model`` option's ``_target_`` class implements :class:`ReleaseSpec`:

- :meth:`~ReleaseSpec.fit` trains on the prepared splits and returns a fit result
  (anything with ``train_seconds``, ``epochs`` and ``best_score``);
- :meth:`~ReleaseSpec.bundle_fields` gives the manifest's ``input`` block (the input kind
  and schema serving validates against), the graph's ``inputs``/``outputs`` names and
  any kind-specific extras;
- :meth:`~ReleaseSpec.export` writes the ONNX graph (and preprocessing files) into the bundle;
- :meth:`~ReleaseSpec.reference` returns the predictor parity compares the exported graph
  against: a callable from a batch of raw inputs to ``(logits, embedding)``;
- :meth:`~ReleaseSpec.size` counts the model's parameters (or tree nodes).

``fusable`` / ``quantizable`` say whether ORT's transformer fusion and dynamic int8 apply
to its graph; an optional ``parity_space = "probabilities"`` makes parity compare class
probabilities instead of logits (models whose logits are log-probabilities). A new family
is one such class, a runtime class for its input kind
(:mod:`lightship.inference`) and a ``conf/model`` YAML with its schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Protocol, Sequence

import numpy as np

Reference = Callable[[Sequence[Any]], tuple[np.ndarray, np.ndarray]]


@dataclass
class FitContext:
    """Everything a fit needs besides the data: trainer and data settings, seed, where to checkpoint, loggers."""

    trainer_cfg: Any
    data_cfg: Any
    seed: int
    checkpoint_dir: Path
    loggers: list[Any] = field(default_factory=list)
    resume_from: Optional[Path] = None
    extra_callbacks: Sequence[Any] = ()


class ReleaseSpec(Protocol):
    name: str
    fusable: bool
    quantizable: bool

    def fit(self, data: Any, context: FitContext) -> Any: ...

    def bundle_fields(self, fit_result: Any, data: Any) -> dict[str, Any]: ...

    def export(self, fit_result: Any, data: Any, bundle: Any, export_cfg: Any) -> None: ...

    def reference(self, fit_result: Any, runtime: Any) -> Reference: ...

    def size(self, fit_result: Any) -> int: ...
