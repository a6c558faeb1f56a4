"""Inference over a bundle: one runtime class per input kind, chosen from the bundle's manifest.

Serving, batch scoring, the stream consumer, drift, the backtest and the export checks all
open a bundle with :func:`load_runtime`, so each consumer runs the same preprocessing and
the same graph. A new input kind is one runtime class (a subclass of
:class:`lightship.inference.runtime.OnnxClassifier`) plus one entry in :data:`RUNTIMES`.

>>> runtime = load_runtime("outputs/.../bundle")              # doctest: +SKIP
>>> runtime.predict(["my card was charged twice"]).label_ids  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from lightship.bundle import Bundle
from lightship.errors import LightshipError

# ``input.kind`` (and ``/encoding`` where a kind has several) of a bundle manifest -> the
# runtime class that reads it (imported when used).
RUNTIMES: dict[str, str] = {
    "text": "lightship.inference.text:OnnxTextClassifier",
    "text/strings": "lightship.inference.strings:OnnxStringClassifier",
    "tabular": "lightship.inference.tabular:OnnxTabularClassifier",
    "image": "lightship.inference.image:OnnxImageClassifier",
}


def runtime_key(input_spec: dict[str, Any]) -> str:
    """The registry key of a manifest's ``input`` block: ``kind``, or ``kind/encoding`` when it names an encoding."""
    encoding = input_spec.get("encoding")
    return f"{input_spec['kind']}/{encoding}" if encoding else str(input_spec["kind"])


def runtime_class(kind: str) -> type:
    """The runtime class registered for an input kind; an unknown kind names the known ones."""
    if kind not in RUNTIMES:
        raise LightshipError(f"bundle input kind '{kind}' has no runtime in this version of lightship. Known kinds: {sorted(RUNTIMES)}.")
    module, _, name = RUNTIMES[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def load_runtime(
    bundle: Bundle | str | Path,
    provider: str = "cpu",
    intra_op_threads: int = 0,
    inter_op_threads: int = 0,
    *,
    io_binding: bool = False,
    precision: str = "fp32",
    graph: Path | None = None,
    allow_spinning: bool = True,
) -> Any:
    """Open ``bundle`` with the runtime its manifest's ``input.kind`` names (see ``OnnxClassifier`` for the options)."""
    loaded = bundle if isinstance(bundle, Bundle) else Bundle.load(bundle)
    cls = runtime_class(runtime_key(loaded.input))
    return cls(loaded, provider, intra_op_threads, inter_op_threads, io_binding=io_binding, precision=precision, graph=graph,
               allow_spinning=allow_spinning)


def request_signature(input_spec: dict[str, Any]) -> tuple:
    """What a client's requests depend on: the input kind and, for tables, each column's name, type and nullability.

    Two bundles with the same signature accept the same requests (a tabular model's
    vocabularies may differ: unseen categories go to the unknown bucket; rows name their
    columns, so their order in the graph does not matter), so the service may hot-swap
    between them; any other change needs a restart.
    """
    columns = tuple(sorted((c["name"], c["type"], bool(c.get("nullable", False))) for c in input_spec.get("columns", [])))
    return (str(input_spec["kind"]), columns)
