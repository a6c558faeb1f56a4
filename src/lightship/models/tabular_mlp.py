"""``model=tabular_mlp``: an MLP over standardised numbers and categorical embeddings, trained with Lightning.

Everything between raw column values and the logits is inside the exported graph: the
missing-value fill and category lookup (:mod:`lightship.export.tabular_graph`), then the
standardisation (train mean and standard deviation as buffers) and one embedding table
per categorical column, whose row 0 is the unknown bucket. During training a share
``unknown_dropout`` of category ids is set to 0, so the unknown bucket learns what "a
category the model has not seen" means instead of staying at its random start.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from lightship.data.splits import LABEL
from lightship.data.tabular_schema import TabularSchema

GRAPH_INPUTS, GRAPH_OUTPUTS = ["numeric", "categorical"], ["logits", "representation"]
_TORCH_INPUTS = ["numeric_filled", "category_ids"]


@dataclass
class TabularFitResult:
    classifier: Any
    schema: TabularSchema
    train_seconds: float
    best_checkpoint: Any
    best_score: Any
    epochs: int


class TabularMLPSpec:
    """``model=tabular_mlp`` (a :class:`lightship.models.protocol.ReleaseSpec`)."""

    fusable = False  # no transformer patterns to fuse
    quantizable = True

    def __init__(self, name: str = "tabular_mlp", hidden_sizes: Sequence[int] = (128, 64), dropout: float = 0.0,
                 embedding_cap: int = 16, unknown_dropout: float = 0.02, lr: float = 1e-2, weight_decay: float = 1e-4,
                 warmup_ratio: float = 0.05, class_weighting: Any = "sqrt", **_: Any) -> None:
        self.name, self.hidden_sizes, self.dropout = name, list(hidden_sizes), dropout
        self.embedding_cap, self.unknown_dropout = embedding_cap, unknown_dropout
        self.lr, self.weight_decay, self.warmup_ratio = lr, weight_decay, warmup_ratio
        self.class_weighting = getattr(class_weighting, "value", class_weighting)

    def fit(self, data: Any, context: Any) -> TabularFitResult:
        import pytorch_lightning as pl
        import torch

        from lightship.models.spec import class_weights
        from lightship.models.tabular_network import TabularMLP
        from lightship.training.fit import build_trainer, train_best
        from lightship.training.module import ClassifierModule
        from lightship.training.tabular_datamodule import TabularDataModule

        pl.seed_everything(context.seed, workers=True)
        if context.trainer_cfg.num_threads:
            torch.set_num_threads(context.trainer_cfg.num_threads)
        schema = TabularSchema.from_input_spec(data.input)
        numeric = schema.filled(schema.arrays(data.train)["numeric"])
        classifier = TabularMLP(numeric.mean(axis=0), numeric.std(axis=0), [len(v) + 1 for v in schema.vocabularies], len(data.labels),
                                self.hidden_sizes, self.dropout, self.embedding_cap, self.unknown_dropout)
        weights = class_weights(self.class_weighting, data.train[LABEL].map(data.label_to_id).to_numpy(), len(data.labels))
        module = ClassifierModule(classifier, data.labels, lr=self.lr, weight_decay=self.weight_decay, warmup_ratio=self.warmup_ratio,
                                  class_weights=None if weights is None else np.asarray(weights).tolist())
        datamodule = TabularDataModule(data, schema, int(context.data_cfg.batch_size), context.seed)
        trainer = build_trainer(context.trainer_cfg, context.checkpoint_dir, context.loggers, context.seed, context.extra_callbacks)
        outcome = train_best(trainer, module, datamodule, context.resume_from)
        return TabularFitResult(classifier, schema, outcome.train_seconds, outcome.best_checkpoint, outcome.best_score, outcome.epochs)

    def bundle_fields(self, fit_result: Any, data: Any) -> dict[str, Any]:
        return {"input": data.input, "inputs": GRAPH_INPUTS, "outputs": GRAPH_OUTPUTS}

    def export(self, fit_result: Any, data: Any, bundle: Any, export_cfg: Any) -> None:
        """The PyTorch graph (filled numbers and ids in), then the fill and lookup nodes in front of it."""
        import onnx
        import torch

        from lightship.export.onnx_export import export_module
        from lightship.export.tabular_graph import prepend_preprocessing

        schema = fit_result.schema
        arrays = schema.arrays(data.train.head(4))
        args = (torch.from_numpy(schema.filled(arrays["numeric"])), torch.from_numpy(schema.category_ids(arrays["categorical"])))
        with tempfile.TemporaryDirectory() as scratch:
            raw = export_module(fit_result.classifier, args, _TORCH_INPUTS, GRAPH_OUTPUTS, {}, Path(scratch) / "mlp.onnx",
                                export_cfg.opset, export_cfg.exporter.value)
            model = onnx.load(str(raw))
        model = prepend_preprocessing(model, schema.fills, schema.vocabularies, numeric_target=_TORCH_INPUTS[0], ids_target=_TORCH_INPUTS[1])
        onnx.save(model, str(bundle.onnx_path))

    def reference(self, fit_result: Any, runtime: Any) -> Any:
        """The PyTorch module on raw rows, with the fill and lookup done in NumPy (parity covers the graph's preprocessing)."""
        from lightship.export.parity import TorchReference

        schema = fit_result.schema

        def encode(rows: Sequence[Any]) -> dict[str, np.ndarray]:
            arrays = schema.arrays(rows)
            return {"numeric": schema.filled(arrays["numeric"]), "category_ids": schema.category_ids(arrays["categorical"])}

        return TorchReference(fit_result.classifier, encode)

    def size(self, fit_result: Any) -> int:
        return int(sum(p.numel() for p in fit_result.classifier.parameters()))
