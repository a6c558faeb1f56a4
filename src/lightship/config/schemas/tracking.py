"""Schema of the ``tracking`` group: where runs and model versions live."""

from dataclasses import dataclass
from typing import Optional

GROUP = "tracking"


@dataclass
class TrackingConfig:
    # None: $MLFLOW_TRACKING_URI, else MLflow's embedded default sqlite:///mlflow.db in the cwd.
    uri: Optional[str] = None
    experiment_name: str = "lightship"
    model_name: str = "lightship"
    champion_alias: str = "champion"
    register: bool = True


SCHEMAS = {"tracking_schema": TrackingConfig}
