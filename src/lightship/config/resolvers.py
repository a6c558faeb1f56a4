"""OmegaConf resolvers the config files use (registered with the schemas, before any compose)."""

from __future__ import annotations

from omegaconf import OmegaConf

# Mixed precision needs a GPU; on CPU (DDP over gloo included) full precision is what Lightning runs well.
CPU_PRECISION = "32-true"


def precision_for(accelerator: str, precision: str) -> str:
    """``${lightship.precision:${.accelerator},16-mixed}``: ``precision`` on accelerators, 32-true on ``cpu``."""
    return CPU_PRECISION if str(accelerator) == "cpu" else str(precision)


def register_resolvers() -> None:
    OmegaConf.register_new_resolver("lightship.precision", precision_for, replace=True)
