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
    # The version under live test: served in shadow (serve.shadow) and judged on live evidence (task=promote).
    challenger_alias: str = "challenger"
    register: bool = True


SCHEMAS = {"tracking_schema": TrackingConfig}
