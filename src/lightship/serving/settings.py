"""The service's configuration: the same Hydra tree as training, overrides from the environment.

``$LIGHTSHIP_OVERRIDES`` holds Hydra overrides exactly as on the ``lightship`` command line
(``"serve=bentoml_cpu serve.max_batch_size=64"``); ``$LIGHTSHIP_MODEL`` names the model
(see :mod:`lightship.serving.reference`); the tracking store is resolved as in training.
Composition is validated, so a typo fails ``bentoml serve`` with the dotted key and what is accepted.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from typing import Mapping, Optional

from omegaconf import DictConfig

from lightship.serving.reference import ModelReference

OVERRIDES_ENV, MODEL_ENV = "LIGHTSHIP_OVERRIDES", "LIGHTSHIP_MODEL"


@dataclass
class ServingSettings:
    cfg: DictConfig
    overrides: list[str]
    reference: ModelReference
    tracking_uri: str

    @property
    def serve(self) -> DictConfig:
        return self.cfg.serve


def load_settings(environ: Optional[Mapping[str, str]] = None) -> ServingSettings:
    """Compose ``conf/`` with ``$LIGHTSHIP_OVERRIDES`` and resolve the model reference and tracking store."""
    from lightship.config.validation import compose_config
    from lightship.tracking.uri import resolve_tracking_uri

    environ = os.environ if environ is None else environ
    overrides = shlex.split(environ.get(OVERRIDES_ENV, ""))
    cfg = compose_config(overrides)
    reference = ModelReference.parse(environ.get(MODEL_ENV), cfg.tracking.model_name, cfg.tracking.champion_alias)
    tracking_uri = cfg.tracking.uri or environ.get("MLFLOW_TRACKING_URI") or resolve_tracking_uri(None)
    return ServingSettings(cfg, overrides, reference, tracking_uri)
