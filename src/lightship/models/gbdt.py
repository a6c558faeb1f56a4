"""``model=gbdt``: LightGBM from config, exported to ONNX with its preprocessing in the graph.

The booster sees one float matrix: the filled numeric columns, then each categorical
column's id (category i of the train vocabulary -> i + 1, anything else -> 0) declared as a
LightGBM categorical feature. ``onnxmltools`` converts the trees (categorical splits
included) to ``ai.onnx.ml.TreeEnsembleClassifier``; the fill and lookup nodes of
:mod:`lightship.export.tabular_graph` go in front and ``logits = log(probabilities)`` at the
end (see :data:`EPSILON`), so the graph takes the same raw ``numeric`` + ``categorical`` inputs as ``tabular_mlp``
and parity compares its probabilities with LightGBM's own ``predict_proba`` on raw rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from lightship.data.splits import LABEL
from lightship.data.tabular_schema import TabularSchema

GRAPH_INPUTS, GRAPH_OUTPUTS = ["numeric", "categorical"], ["logits"]
_FEATURES = "lightship_features"
# logits = log(p + EPSILON): finite, and smooth where p is tiny (a hard floor would make parity flip at the floor);
# softmax of them gives p back within n_classes * EPSILON.
EPSILON = 1e-7


@dataclass
class GBDTFitResult:
    model: Any
    schema: TabularSchema
    train_seconds: float
    best_checkpoint: Optional[str]
    best_score: Optional[float]
    epochs: int


def feature_matrix(schema: TabularSchema, rows: Any) -> np.ndarray:
    """Filled numbers, then category ids as floats: what the booster (and the graph's preprocessing) computes."""
    arrays = schema.arrays(rows)
    return np.hstack([schema.filled(arrays["numeric"]), schema.category_ids(arrays["categorical"]).astype(np.float32)])


def float32_thresholds(booster: Any) -> Any:
    """The booster with every split threshold rounded to float32, as ONNX's tree operator stores it.

    LightGBM compares float64 thresholds; the ONNX graph compares float32 ones. An input equal to
    a threshold's float32 rounding (common: thresholds sit between two observed values) would go
    left in one and right in the other, so the graph and the reference would disagree. Rounding
    here makes both the same model; it moves each threshold by less than one float32 step.
    """
    import lightgbm as lgb

    def rounded(line: str) -> str:
        values = line.removeprefix("threshold=").split()
        return "threshold=" + " ".join(repr(float(np.float32(value))) for value in values)

    # ``tree_sizes`` (byte offsets for parallel loading) no longer fit the rewritten lines; LightGBM parses without them.
    lines = [rounded(line) if line.startswith("threshold=") else line for line in booster.model_to_string().splitlines()
             if not line.startswith("tree_sizes=")]
    return lgb.Booster(model_str="\n".join(lines) + "\n")


class GBDTSpec:
    """``model=gbdt`` (a :class:`lightship.models.protocol.ReleaseSpec`); LightGBM's own parameter names."""

    fusable = False  # tree ensembles: no transformer fusion
    quantizable = False  # and no MatMul weights to quantize
    # Parity on probabilities: where a class probability is tiny, its log (the logits) magnifies float32 rounding of the leaves.
    parity_space = "probabilities"

    def __init__(self, name: str = "gbdt", n_estimators: int = 500, learning_rate: float = 0.05, num_leaves: int = 31,
                 max_depth: int = -1, min_child_samples: int = 20, subsample: float = 0.8, colsample_bytree: float = 0.9,
                 reg_lambda: float = 0.0, early_stopping_rounds: int = 50, class_weighting: Any = "none",
                 native_categorical: bool = True, **_: Any) -> None:
        self.name = name
        self.params = dict(n_estimators=n_estimators, learning_rate=learning_rate, num_leaves=num_leaves, max_depth=max_depth,
                           min_child_samples=min_child_samples, subsample=subsample, subsample_freq=1 if subsample < 1 else 0,
                           colsample_bytree=colsample_bytree, reg_lambda=reg_lambda)
        self.early_stopping_rounds = early_stopping_rounds
        self.class_weighting = getattr(class_weighting, "value", class_weighting)
        self.native_categorical = native_categorical

    def fit(self, data: Any, context: Any) -> GBDTFitResult:
        import lightgbm as lgb
        from sklearn.metrics import f1_score

        schema = TabularSchema.from_input_spec(data.input)
        ids = {name: i for i, name in enumerate(data.labels)}
        x_train, y_train = feature_matrix(schema, data.train), data.train[LABEL].map(ids).to_numpy()
        n_numeric = len(schema.numeric) or 1
        categorical = list(range(n_numeric, n_numeric + len(schema.categorical))) if self.native_categorical else []
        model = lgb.LGBMClassifier(
            **self.params, class_weight="balanced" if self.class_weighting == "balanced" else None, random_state=context.seed,
            deterministic=True, force_col_wise=True, n_jobs=int(context.trainer_cfg.num_threads or 0) or None, verbose=-1,
        )
        fit_args: dict[str, Any] = {"categorical_feature": categorical or "auto"}
        if len(data.val):
            x_val, y_val = feature_matrix(schema, data.val), data.val[LABEL].map(ids).to_numpy()
            fit_args.update(eval_X=(x_val,), eval_y=(y_val,), callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)])
        started = time.perf_counter()
        model.fit(x_train, y_train, **fit_args)
        model._Booster = float32_thresholds(model.booster_)
        seconds = time.perf_counter() - started
        best = float(f1_score(y_val, model.predict(x_val), average="macro")) if len(data.val) else None
        return GBDTFitResult(model, schema, seconds, None, best, int(model.best_iteration_ or model.n_estimators))

    def bundle_fields(self, fit_result: Any, data: Any) -> dict[str, Any]:
        return {"input": data.input, "inputs": GRAPH_INPUTS, "outputs": GRAPH_OUTPUTS}

    def export(self, fit_result: Any, data: Any, bundle: Any, export_cfg: Any) -> None:
        import onnx
        import onnxmltools
        from onnx import helper, numpy_helper
        from onnxmltools.convert.common.data_types import FloatTensorType

        from lightship.errors import ExportError
        from lightship.export.tabular_graph import prepend_preprocessing

        schema = fit_result.schema
        width = (len(schema.numeric) or 1) + len(schema.vocabularies)
        try:
            model = onnxmltools.convert_lightgbm(fit_result.model, initial_types=[(_FEATURES, FloatTensorType([None, width]))],
                                                 zipmap=False, target_opset=min(int(export_cfg.opset), 15))
        except Exception as exc:  # the converter raises many types on unsupported trees
            raise ExportError(f"LightGBM -> ONNX conversion failed: {exc}. Try model.native_categorical=false.") from exc
        graph = model.graph
        probabilities = next(output.name for output in graph.output if output.name != "label")
        graph.initializer.append(numpy_helper.from_array(np.asarray(EPSILON, dtype=np.float32), "lightship_epsilon"))
        graph.node.extend([helper.make_node("Add", [probabilities, "lightship_epsilon"], ["lightship_smoothed"]),
                           helper.make_node("Log", ["lightship_smoothed"], [GRAPH_OUTPUTS[0]])])
        del graph.output[:]
        graph.output.append(helper.make_tensor_value_info(GRAPH_OUTPUTS[0], onnx.TensorProto.FLOAT, ["batch", len(data.labels)]))
        model = prepend_preprocessing(model, schema.fills, schema.vocabularies, numeric_target="", concat_target=_FEATURES)
        onnx.save(model, str(bundle.onnx_path))

    def reference(self, fit_result: Any, runtime: Any) -> Any:
        """LightGBM's ``predict_proba`` on raw rows (fill and lookup in NumPy), as ``(log(p + EPSILON), no embedding)``."""
        def predict(rows: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
            probabilities = fit_result.model.predict_proba(feature_matrix(fit_result.schema, rows))
            return np.log(probabilities + EPSILON), np.zeros((len(probabilities), 0), np.float32)

        return predict

    def size(self, fit_result: Any) -> int:
        """Tree nodes (splits and leaves) of the booster."""
        trees = fit_result.model.booster_.dump_model()["tree_info"]
        return int(sum(2 * tree["num_leaves"] - 1 for tree in trees))
