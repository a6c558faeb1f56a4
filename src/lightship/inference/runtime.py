"""What every ONNX Runtime classifier shares: provider choice, CUDA fallback detection, graph choice, IO binding.

A runtime class per input kind (text, tabular, ...) adds how raw inputs become the graph's
input arrays (:meth:`OnnxClassifier.encode`); everything about the session lives here, so
every kind gets the same provider handling, the same int8 graph choice and the same
fallback warning. One runtime serves every consumer (parity check, promotion gates, batch
scoring, the BentoML service, drift), so what is measured before promotion is what answers
in production.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from lightship.bundle import Bundle
from lightship.evaluation.calibration import temperature_of
from lightship.inference.decision import DecisionRule, decide

log = logging.getLogger(__name__)

CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def requested_providers(provider: str) -> list[str]:
    """Providers to ask ONNX Runtime for: CUDA first (CPU after it) or CPU only."""
    return [CUDA, CPU] if provider == "cuda" else [CPU]


def _fallback_reason(wanted: list[str], available: set[str], in_use: list[str]) -> str | None:
    """Why a CUDA request ended on CPU (None when CUDA was not asked for or is in use)."""
    if CUDA not in wanted or CUDA in in_use:
        return None
    if CUDA not in available:
        return f"this onnxruntime build has no CUDAExecutionProvider (available: {sorted(available)}); install onnxruntime-gpu"
    return "CUDAExecutionProvider could not be created (no usable GPU, driver or CUDA/cuDNN libraries); see nvidia-smi"


def choose_graph(bundle: Bundle, precision: str) -> tuple[Path, str]:
    """The graph file to load for ``precision`` and the precision it really has.

    ``int8`` needs the bundle's int8 graph, accepted by the export's accuracy gate, and
    ``fp16`` its fp16 graph, accepted by the fp16 parity gate; otherwise the fp32 graph
    serves and one warning says why.
    """
    from lightship.export.image_quantize import FP16_FILE
    from lightship.export.quantize import INT8_FILE

    if precision not in ("int8", "fp16"):
        return bundle.onnx_path, "fp32"
    record = bundle.manifest.get(precision) or {}
    path = bundle.path / (record.get("file") or (INT8_FILE if precision == "int8" else FP16_FILE))
    if record.get("accepted") and path.is_file():
        log.info("Serving the %s graph (%s)", precision, record.get("reason", "accepted"))
        return path, precision
    why = record.get("reason") or f"the bundle has no {precision} graph (its export did not make one, or its family has none)"
    log.warning("serve.precision=%s but the fp32 graph serves: %s", precision, why)
    return bundle.onnx_path, "fp32"


@dataclass
class Predictions:
    """Model outputs per input row; ``token_counts``/``unk_counts`` are zeros for inputs without tokens."""

    probabilities: np.ndarray
    embeddings: np.ndarray
    token_counts: np.ndarray
    unk_counts: np.ndarray
    # The bundle's decision rule (high-risk threshold); None: the most probable class.
    rule: Optional[DecisionRule] = None

    @property
    def label_ids(self) -> np.ndarray:
        return decide(self.probabilities, self.rule)

    @classmethod
    def empty(cls, n_labels: int) -> "Predictions":
        return cls(np.zeros((0, n_labels)), np.zeros((0, 0)), np.zeros(0, int), np.zeros(0, int))


class OnnxClassifier:
    """An ONNX Runtime session over a bundle's graph; subclasses turn raw inputs into its input arrays.

    ``provider="cuda"`` asks for CUDAExecutionProvider; when CUDA cannot be used ONNX Runtime
    would quietly run on CPU, so the fallback is detected from ``session.get_providers()``,
    logged once as a warning and exposed as ``fell_back`` / ``fallback_reason``.
    ``io_binding=True`` binds inputs and outputs explicitly (useful on CUDA; ignored on CPU).
    ``precision="int8"`` loads the bundle's accepted int8 graph (see :func:`choose_graph`);
    ``graph`` loads another graph file with the bundle's preprocessing (export checks use it).
    ``allow_spinning=False`` lets idle intra-op threads sleep instead of spinning (what a server
    that shares its cores wants; ``serve.allow_spinning``).

    Subclasses set ``kind`` (the manifest's ``input.kind`` they read) and implement
    :meth:`encode`, :meth:`predict`, :meth:`score`, :meth:`smoke_inputs` and
    :meth:`batch_predictions`.
    """

    kind: str = ""

    def __init__(
        self,
        bundle: Bundle | str | Path,
        provider: str = "cpu",
        intra_op_threads: int = 0,
        inter_op_threads: int = 0,
        *,
        io_binding: bool = False,
        precision: str = "fp32",
        graph: Path | None = None,
        allow_spinning: bool = True,
    ) -> None:
        import onnxruntime as ort

        self.bundle = bundle if isinstance(bundle, Bundle) else Bundle.load(bundle)
        self.graph_path, self.precision = (Path(graph), "custom") if graph else choose_graph(self.bundle, precision)
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = inter_op_threads
        if not allow_spinning:  # idle pool threads sleep instead of spinning (a server shares its cores)
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        wanted = requested_providers(provider)
        available = set(ort.get_available_providers())
        providers = [name for name in wanted if name in available] or [CPU]
        if CUDA in providers:
            # ORT logs its own lines when the CUDA provider cannot be created; the one warning below replaces them.
            ort.set_default_logger_severity(4)
        try:
            self.session = ort.InferenceSession(str(self.graph_path), options, providers=providers)
        finally:
            ort.set_default_logger_severity(2)
        self.requested_provider = provider
        self.fallback_reason = _fallback_reason(wanted, available, self.session.get_providers())
        if self.fallback_reason:
            log.warning("ONNX Runtime is running on CPU instead of CUDA: %s", self.fallback_reason)
        self.io_binding = io_binding and self.provider_in_use == CUDA
        self.output_names = [output.name for output in self.session.get_outputs()]
        self.rule = DecisionRule.from_manifest(self.bundle.manifest)
        # Temperature scaling fitted on validation (manifest ``calibration``): every consumer's probabilities are calibrated here.
        self.temperature = temperature_of(self.bundle.manifest)

    @property
    def fell_back(self) -> bool:
        """True when CUDA was asked for and the session runs on CPU."""
        return self.fallback_reason is not None

    @property
    def provider_in_use(self) -> str:
        """The provider ONNX Runtime actually runs on (the one reliable check after a fallback)."""
        return self.session.get_providers()[0]

    @property
    def labels(self) -> list[str]:
        return self.bundle.labels

    @property
    def input_spec(self) -> dict[str, Any]:
        """The manifest's ``input`` block: what this model accepts (a hot swap must keep it)."""
        return self.bundle.input

    def run(self, encoded: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``(logits / temperature, embedding)`` for an encoded batch: the one place calibration is applied.

        Every runtime's probabilities are the softmax of these logits, so serving, batch scoring,
        the stream consumer, drift and the release's metrics read the same calibrated numbers.
        """
        logits, embedding = self.forward(encoded)
        return (logits / self.temperature if self.temperature != 1.0 else logits), embedding

    def forward(self, encoded: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The graph's own ``(logits, embedding)``; a graph without an embedding output gives ``(rows, 0)``."""
        outputs = self._run_bound(encoded) if self.io_binding else self.session.run(None, encoded)
        logits = outputs[0]
        embedding = outputs[1] if len(outputs) > 1 else np.zeros((len(logits), 0), dtype=logits.dtype)
        return logits, embedding

    def _run_bound(self, encoded: dict[str, np.ndarray]) -> list[np.ndarray]:
        binding = self.session.io_binding()
        for name, array in encoded.items():
            binding.bind_cpu_input(name, np.ascontiguousarray(array))
        for name in self.output_names:
            binding.bind_output(name)  # allocated on the device; copied back once below
        self.session.run_with_iobinding(binding)
        return list(binding.copy_outputs_to_cpu())

    # -- what each input kind implements --------------------------------------------------
    def encode(self, inputs: Sequence[Any]) -> dict[str, np.ndarray]:
        """The graph's input arrays for a batch of raw inputs."""
        raise NotImplementedError

    def predict(self, inputs: Sequence[Any], batch_size: int = 64) -> Predictions:
        """Probabilities and embeddings for raw ``inputs``, in order."""
        raise NotImplementedError

    def score(self, inputs: Sequence[Any], max_rows: Optional[int] = None, max_tokens: Optional[int] = None) -> Any:
        """A :class:`lightship.inference.scoring.ScoredBatch` for one request batch, with per-stage times."""
        raise NotImplementedError

    def smoke_inputs(self, configured_texts: Sequence[str]) -> list[Any]:
        """Inputs for the load-time smoke prediction (``serve.smoke_texts`` for text models)."""
        raise NotImplementedError

    def batch_predictions(self, batch: Any) -> Predictions:
        """A scored batch's outputs as :class:`Predictions` (computed off the request path by the drift monitor)."""
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to end: the session is freed with the object (a runtime process has its own ``close``)."""

    def inputs_from_frame(self, frame: Any, column: Optional[str] = None, where: str = "input", key: str = "the text column") -> tuple[list[Any], Any]:
        """The raw inputs of a data frame (batch scoring, offline drift) and the mask of usable rows.

        ``column`` names the text column (text models; ``key`` is the setting that named it); ``where`` (the file) prefixes errors.
        """
        raise NotImplementedError
