"""ONNX Runtime inference over a bundle: the bundle's tokenizer, max length and label map.

One runtime serves every consumer (parity check, promotion gates, batch scoring, the
BentoML service), so what is measured before promotion is what answers in production.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from lightship.bundle import Bundle

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

    ``int8`` needs the bundle's int8 graph, accepted by the export's accuracy gate;
    otherwise the fp32 graph serves and one warning says why.
    """
    from lightship.export.quantize import INT8_FILE

    if precision != "int8":
        return bundle.onnx_path, "fp32"
    record = bundle.manifest.get("int8") or {}
    path = bundle.path / (record.get("file") or INT8_FILE)
    if record.get("accepted") and path.is_file():
        log.info("Serving the int8 graph (%s)", record.get("reason", "accepted"))
        return path, "int8"
    why = record.get("reason") or "the bundle has no int8 graph (made with export.int8=false, or before int8 existed)"
    log.warning("serve.precision=int8 but the fp32 graph serves: %s", why)
    return bundle.onnx_path, "fp32"


@dataclass
class Predictions:
    probabilities: np.ndarray
    embeddings: np.ndarray
    token_counts: np.ndarray
    unk_counts: np.ndarray

    @property
    def label_ids(self) -> np.ndarray:
        return self.probabilities.argmax(axis=-1)


class OnnxTextClassifier:
    """Tokenize with the bundle's tokenizer, run the graph, return probabilities and embeddings.

    ``provider="cuda"`` asks for CUDAExecutionProvider; when CUDA cannot be used ONNX Runtime
    would quietly run on CPU, so the fallback is detected from ``session.get_providers()``,
    logged once as a warning and exposed as ``fell_back`` / ``fallback_reason``.
    ``io_binding=True`` binds inputs and outputs explicitly (useful on CUDA; ignored on CPU).
    ``precision="int8"`` loads the bundle's accepted int8 graph (see :func:`choose_graph`);
    ``graph`` loads another graph file with the bundle's tokenizer (export checks use it).
    """

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
    ) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.bundle = bundle if isinstance(bundle, Bundle) else Bundle.load(bundle)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.bundle.tokenizer_dir))
        self.graph_path, self.precision = (Path(graph), "custom") if graph else choose_graph(self.bundle, precision)
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = inter_op_threads
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

    def encode(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Pad to the longest text of the batch, truncate at the bundle's ``max_length``."""
        encoded = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.bundle.max_length, return_tensors="np"
        )
        return {"input_ids": encoded["input_ids"].astype(np.int64), "attention_mask": encoded["attention_mask"].astype(np.int64)}

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text, truncated at the bundle's ``max_length`` and not padded (see :meth:`pad`)."""
        return self.tokenizer(list(texts), truncation=True, max_length=self.bundle.max_length)["input_ids"]

    def pad(self, ids: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
        """Pad token id lists to the longest of them, as ``encode`` does (the tokenizer's pad id and side)."""
        longest = max((len(row) for row in ids), default=0)
        input_ids = np.full((len(ids), longest), self.tokenizer.pad_token_id or 0, dtype=np.int64)
        mask = np.zeros((len(ids), longest), dtype=np.int64)
        left = self.tokenizer.padding_side == "left"
        for i, row in enumerate(ids):
            span = slice(longest - len(row), longest) if left else slice(0, len(row))
            input_ids[i, span], mask[i, span] = row, 1
        return {"input_ids": input_ids, "attention_mask": mask}

    def run(self, encoded: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``(logits, sentence_embedding)`` for an encoded batch."""
        if self.io_binding:
            return self._run_bound(encoded)
        logits, embedding = self.session.run(None, encoded)
        return logits, embedding

    def _run_bound(self, encoded: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        binding = self.session.io_binding()
        for name, array in encoded.items():
            binding.bind_cpu_input(name, np.ascontiguousarray(array))
        for name in self.output_names:
            binding.bind_output(name)  # allocated on the device; copied back once below
        self.session.run_with_iobinding(binding)
        logits, embedding = binding.copy_outputs_to_cpu()
        return logits, embedding

    def predict(self, texts: Sequence[str], batch_size: int = 64) -> Predictions:
        """Probabilities, embeddings and token statistics for ``texts``, in order."""
        probabilities, embeddings, tokens, unknown = [], [], [], []
        unk_id = self.tokenizer.unk_token_id
        for start in range(0, len(texts), batch_size):
            encoded = self.encode(texts[start : start + batch_size])
            logits, embedding = self.run(encoded)
            probabilities.append(softmax(logits))
            embeddings.append(embedding)
            tokens.append(encoded["attention_mask"].sum(axis=1))
            unknown.append(((encoded["input_ids"] == unk_id) & (encoded["attention_mask"] == 1)).sum(axis=1))
        if not probabilities:
            n_labels = len(self.labels)
            return Predictions(np.zeros((0, n_labels)), np.zeros((0, 0)), np.zeros(0, int), np.zeros(0, int))
        return Predictions(np.concatenate(probabilities), np.concatenate(embeddings), np.concatenate(tokens), np.concatenate(unknown))
