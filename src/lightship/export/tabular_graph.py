"""Tabular preprocessing inside the ONNX graph: missing-value fill and category lookup in front of a model graph.

:func:`prepend_preprocessing` takes a model graph whose inputs are already numeric
(``numeric_filled`` floats and ``category_ids`` int64 for the MLP; one float matrix for a
tree ensemble) and puts in front of it:

- ``numeric`` (float32, NaN where missing) -> ``Where(IsNaN(x), fill, x)`` with the schema's fills;
- ``categorical`` (strings) -> per column ``Gather`` + ``ai.onnx.ml.LabelEncoder`` (category i -> i + 1,
  anything else -> 0, the unknown bucket) -> ``Concat``.

So the exported graph takes raw column values and there is no train/serve skew: every
consumer feeds the same two raw inputs (:meth:`TabularSchema.arrays`). Only operators
available since opset 9 are used, so the nodes fit the opsets of any exporter.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

ML_DOMAIN = "ai.onnx.ml"
NUMERIC_INPUT, CATEGORICAL_INPUT = "numeric", "categorical"
# A key no real value equals: a LabelEncoder needs at least one key, a column without categories maps all to 0.
_NEVER = "\u0000lightship-no-category"


def prepend_preprocessing(
    model: "onnx.ModelProto", fills: np.ndarray, vocabularies: list[list[str]], numeric_target: str,
    ids_target: Optional[str] = None, concat_target: Optional[str] = None,
) -> "onnx.ModelProto":  # noqa: F821
    """Replace the graph's numeric inputs by raw ``numeric`` + ``categorical`` inputs (see the module docstring).

    Either ``ids_target`` (an int64 input of the model, fed with the category ids) or
    ``concat_target`` (a float input fed with ``[filled numeric, float(ids)]``) is given;
    ``numeric_target`` is the model input fed with the filled numeric matrix (ignored with ``concat_target``).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    filled = numeric_target if concat_target is None else "lightship_numeric_filled"
    ids = ids_target or "lightship_category_ids"
    nodes = [
        helper.make_node("IsNaN", [NUMERIC_INPUT], ["lightship_numeric_missing"]),
        helper.make_node("Where", ["lightship_numeric_missing", "lightship_fills", NUMERIC_INPUT], [filled]),
    ]
    initializers = [numpy_helper.from_array(np.asarray(fills, dtype=np.float32)[None, :], "lightship_fills")]
    pieces = []
    for j, vocabulary in enumerate(vocabularies):
        index, column, piece = f"lightship_col{j}", f"lightship_cat{j}", f"lightship_ids{j}"
        initializers.append(numpy_helper.from_array(np.asarray([j], dtype=np.int64), index))
        keys = list(vocabulary) or [_NEVER]
        nodes += [
            helper.make_node("Gather", [CATEGORICAL_INPUT, index], [column], axis=1),
            helper.make_node("LabelEncoder", [column], [piece], domain=ML_DOMAIN, keys_strings=keys,
                             values_int64s=list(range(1, len(keys) + 1)) if vocabulary else [0], default_int64=0),
        ]
        pieces.append(piece)
    nodes.append(helper.make_node("Concat", pieces, [ids], axis=1))
    if concat_target is not None:
        nodes += [
            helper.make_node("Cast", [ids], ["lightship_category_codes"], to=TensorProto.FLOAT),
            helper.make_node("Concat", [filled, "lightship_category_codes"], [concat_target], axis=1),
        ]
    replaced = {name for name in (numeric_target, ids_target, concat_target) if name}
    kept_inputs = [value for value in graph.input if value.name not in replaced]
    del graph.input[:]
    graph.input.extend([
        helper.make_tensor_value_info(NUMERIC_INPUT, TensorProto.FLOAT, ["batch", len(fills)]),
        helper.make_tensor_value_info(CATEGORICAL_INPUT, TensorProto.STRING, ["batch", len(vocabularies)]),
        *kept_inputs,
    ])
    existing = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + existing)
    graph.initializer.extend(initializers)
    versions = {opset.domain: opset for opset in model.opset_import}
    if ML_DOMAIN in versions:
        versions[ML_DOMAIN].version = max(versions[ML_DOMAIN].version, 2)
    else:
        model.opset_import.append(helper.make_opsetid(ML_DOMAIN, 2))
    onnx.checker.check_model(model)
    return model
