"""``task=promote``: judge the challenger in shadow on live evidence, then promote, retire or wait.

The decision logic is :mod:`lightship.promotion.live_evidence`; the decision (numbers and reason)
goes to ``<run folder>/decisions.jsonl`` and to an MLflow run. Run it on a schedule, like
``task=retrain`` (which does the same first when ``retrain.shadow=true``).
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig


def run(cfg: DictConfig) -> dict[str, Any]:
    from lightship.promotion.live_evidence import settle
    from lightship.tasks.context import output_dir

    return settle(cfg, output_dir(), "promote")
