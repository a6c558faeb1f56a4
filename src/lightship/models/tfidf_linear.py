"""``model=tfidf_linear``: TF-IDF n-grams and logistic regression, the classic text baseline.

It trains in seconds on a CPU, is hard to beat on topic-like tasks with a few thousand
labelled documents, and belongs in every comparison as the row a neural model must beat.

The whole scikit-learn pipeline, text cleaning included, is exported to ONNX (skl2onnx),
so the service takes raw strings and nothing can drift between training and serving:

* lower-casing: ONNX ``StringNormalizer`` (locale ``C.UTF-8``, present on every glibc
  system; lower-cases non-ASCII letters too);
* word tokens: ONNX Runtime's ``Tokenizer`` with the RE2 pattern ``[\\pL\\pN_]{2,}``,
  which matches exactly what scikit-learn's default ``(?u)\\b\\w\\w+\\b`` keeps (RE2 has no
  ``(?u)`` and its ``\\w``/``\\b`` are ASCII-only, so the default pattern would drop accented words);
* n-gram counts and IDF weights: ONNX ``TfIdfVectorizer`` + scaling, the L2 norm as graph
  arithmetic; the classifier: ``LinearClassifier`` with softmax.

Not expressible in ONNX: scikit-learn's ``analyzer="char_wb"`` (character n-grams inside
word boundaries) and custom Python tokenizers or preprocessors; ``analyzer="char"``
(``char_ngram_max``) is, and is offered instead. Three vectoriser options are left out
because skl2onnx's graph computes something else than scikit-learn (parity refuses it):
``sublinear_tf`` (up to 0.02 off per feature), and ``stop_words`` or ``max_df`` with
bigrams (the graph loses the bigrams that contain a removed word, such as "of the").

A small candidate grid (``word_ngram_max`` x ``C``) is fitted on the train split and the
candidate with the lowest validation log-loss is kept: bigrams help short, phrase-heavy
texts (sentiment: "not good") and cost long topical documents a little, so the data
decides. Log-loss, a proper scoring rule, separates candidates that a few hundred
validation documents leave tied (or ordered by chance) on accuracy or macro-F1.

Example::

    lightship model=tfidf_linear data=text_file data.path=news.csv
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

log = logging.getLogger(__name__)

TEXT_INPUT = "text"
OUTPUT_NAMES = ["label", "scores"]
VOCABULARY_FILE = "vocabulary.txt"
# What scikit-learn's default token_pattern keeps, in RE2 syntax (see the module docstring).
TOKEN_PATTERN_RE2 = r"[\pL\pN_]{2,}"
TOKEN_PATTERN_PY = r"(?u)\b\w\w+\b"
STRING_LOCALE = "C.UTF-8"


@dataclass
class TfidfFitResult:
    """The fitted pipeline and how it was chosen."""

    pipeline: Any
    train_seconds: float
    best_score: Optional[float]
    chosen: dict[str, Any]
    candidates: list[dict[str, Any]] = field(default_factory=list)
    epochs: int = 0


class TfidfLinearSpec:
    """TF-IDF word (and optionally character) n-grams with a multinomial logistic regression.

    Parameters: the grids ``word_ngram_max`` (1: unigrams, 2: + bigrams) and ``C`` (inverse
    regularisation) searched on the validation split, ``char_ngram_max`` (0: no character
    n-grams, else 2..max), ``min_df`` and ``max_features`` per vectoriser,
    ``max_iter``, and ``class_weighting`` (none, balanced, sqrt) as for the neural models.
    """

    fusable = False
    quantizable = False
    family = "baseline"

    def __init__(
        self,
        name: str = "tfidf_linear",
        word_ngram_max: Sequence[int] = (1, 2),
        C: Sequence[float] = (10.0, 30.0),
        char_ngram_max: int = 0,
        min_df: int = 2,
        max_features: int = 200_000,
        max_iter: int = 2000,
        class_weighting: Any = "sqrt",
        **_: Any,
    ) -> None:
        self.name = name
        self.ngram_grid = [int(value) for value in word_ngram_max] or [1]
        self.c_grid = [float(value) for value in C] or [1.0]
        self.char_ngram_max = char_ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.max_iter = max_iter
        self.class_weighting = getattr(class_weighting, "value", class_weighting)
        self.max_length = 0  # no token budget: every word of a text counts

    # -- building blocks ---------------------------------------------------------------
    def _vectorizers(self, ngram_max: int) -> list[Any]:
        from sklearn.feature_extraction.text import TfidfVectorizer

        common = {"min_df": self.min_df, "max_features": self.max_features, "dtype": np.float32}
        vectorizers = [TfidfVectorizer(ngram_range=(1, ngram_max), **common)]
        if self.char_ngram_max >= 2:
            vectorizers.append(TfidfVectorizer(analyzer="char", ngram_range=(2, self.char_ngram_max), **common))
        return vectorizers

    def _features(self, ngram_max: int) -> Any:
        from sklearn.pipeline import make_union

        vectorizers = self._vectorizers(ngram_max)
        return vectorizers[0] if len(vectorizers) == 1 else make_union(*vectorizers)

    # -- the release pipeline's protocol (lightship.models.protocol.ReleaseSpec) -------------
    def fit(self, data: Any, context: Any) -> TfidfFitResult:
        """Fit every grid candidate on train (features once per n-gram range); keep the lowest validation log-loss.

        Without a validation split the training log-loss decides (the least regularised candidate).
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import log_loss
        from sklearn.pipeline import make_pipeline

        from lightship.data.splits import LABEL, TEXT
        from lightship.models.spec import class_weights

        started = time.perf_counter()
        y = data.train[LABEL].map(data.label_to_id).to_numpy()
        weights = class_weights(self.class_weighting, y, len(data.labels))
        class_weight = None if weights is None else {index: float(w) for index, w in enumerate(weights)}
        val = data.val if len(data.val) else data.train
        val_y = val[LABEL].map(data.label_to_id).to_numpy()
        candidates: list[dict[str, Any]] = []
        best: Optional[tuple[float, Any, dict[str, Any]]] = None
        for ngram_max in self.ngram_grid:
            features = self._features(ngram_max)
            train_x = features.fit_transform(data.train[TEXT].tolist())
            val_x = features.transform(val[TEXT].tolist())
            for c in self.c_grid:
                model = LogisticRegression(C=c, max_iter=self.max_iter, class_weight=class_weight).fit(train_x, y)
                loss = float(log_loss(val_y, model.predict_proba(val_x), labels=list(range(len(data.labels)))))
                accuracy = float((model.predict(val_x) == val_y).mean())
                candidates.append({"word_ngram_max": ngram_max, "C": c, "val_log_loss": round(loss, 4), "val_accuracy": round(accuracy, 4)})
                if best is None or loss < best[0]:
                    best = (loss, make_pipeline(features, model), {"word_ngram_max": ngram_max, "C": c, "val_accuracy": accuracy})
        assert best is not None
        log.info("tfidf_linear: kept word_ngram_max=%s C=%s (validation log-loss %.4f) of %d candidates",
                 best[2]["word_ngram_max"], best[2]["C"], best[0], len(candidates))
        return TfidfFitResult(best[1], time.perf_counter() - started, best[2]["val_accuracy"], best[2], candidates)

    def bundle_fields(self, fit_result: TfidfFitResult, data: Any) -> dict[str, Any]:
        return {
            "input": {"kind": "text", "encoding": "strings"},
            "max_length": self.max_length,
            "inputs": [TEXT_INPUT],
            "outputs": OUTPUT_NAMES,
            "tfidf": {**fit_result.chosen, "candidates": fit_result.candidates, "token_pattern": TOKEN_PATTERN_PY},
        }

    def export(self, fit_result: TfidfFitResult, data: Any, bundle: Any, export_cfg: Any) -> None:
        """The whole pipeline as one graph with a string input; the word vocabulary beside it (for the unknown-word rate)."""
        from lightship.errors import ExportError

        try:
            graph = pipeline_to_onnx(fit_result.pipeline, export_cfg.opset)
        except Exception as exc:  # skl2onnx raises many internal types
            raise ExportError(f"ONNX export of the TF-IDF pipeline failed: {exc}") from exc
        bundle.onnx_path.write_bytes(graph.SerializeToString())
        write_vocabulary(fit_result.pipeline, bundle.path / VOCABULARY_FILE)

    def reference(self, fit_result: TfidfFitResult, runtime: Any) -> Any:
        """scikit-learn's own pipeline on the same raw strings: its decision function, as logits."""
        def predict(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
            logits = logits_from_decision(fit_result.pipeline.decision_function(list(texts)))
            return logits, logits

        return predict

    def size(self, fit_result: TfidfFitResult) -> int:
        """Coefficients and intercepts of the linear model (the vocabulary is data, not parameters)."""
        model = fit_result.pipeline[-1]
        return int(model.coef_.size + model.intercept_.size)


def logits_from_decision(decision: np.ndarray) -> np.ndarray:
    """Logits whose softmax is ``predict_proba``: the decision function, or ``[-d/2, d/2]`` for a binary model
    (whose probability is ``sigmoid(d)``)."""
    decision = np.asarray(decision, dtype=np.float64)
    return np.column_stack([-decision / 2, decision / 2]) if decision.ndim == 1 else decision


def logits_from_scores(scores: np.ndarray) -> np.ndarray:
    """The graph's raw scores as logits: skl2onnx gives a binary model ``[-d, d]``, halved to ``[-d/2, d/2]``."""
    scores = np.asarray(scores, dtype=np.float64)
    return scores / 2 if scores.shape[-1] == 2 else scores


def pipeline_to_onnx(pipeline: Any, opset: int) -> Any:
    """Convert the fitted pipeline with a ``[batch, 1]`` string input; outputs ``label`` and the raw ``scores``.

    Raw scores (not probabilities) keep the full precision of the logits: a probability of
    1e-20 in float32 carries little of its logit, and parity compares logits.
    """
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import StringTensorType
    from sklearn.feature_extraction.text import TfidfVectorizer

    options: dict[int, dict[str, Any]] = {id(pipeline[-1]): {"zipmap": False, "raw_scores": True}}
    for step in _steps(pipeline[0]):
        if isinstance(step, TfidfVectorizer):
            vectorizer_options: dict[str, Any] = {"locale": STRING_LOCALE}
            if step.analyzer == "word":
                vectorizer_options["tokenexp"] = TOKEN_PATTERN_RE2
            options[id(step)] = vectorizer_options
    graph = convert_sklearn(pipeline, initial_types=[(TEXT_INPUT, StringTensorType([None, 1]))], options=options, target_opset=opset)
    return _rename_output(graph, "probabilities", OUTPUT_NAMES[1])


def _rename_output(graph: Any, old: str, new: str) -> Any:
    """Rename a graph output everywhere it appears (skl2onnx names raw scores ``probabilities``)."""
    for node in graph.graph.node:
        node.output[:] = [new if name == old else name for name in node.output]
    for output in graph.graph.output:
        if output.name == old:
            output.name = new
    return graph


def _steps(features: Any) -> list[Any]:
    """The vectorisers of a single vectoriser or a ``FeatureUnion``."""
    return [step for _, step in features.transformer_list] if hasattr(features, "transformer_list") else [features]


def write_vocabulary(pipeline: Any, path: Path) -> None:
    """The single words the word vectoriser knows."""
    word = _steps(pipeline[0])[0]
    words = {term for term in word.vocabulary_ if " " not in term}
    path.write_text("\n".join(sorted(words)) + "\n", encoding="utf-8")
