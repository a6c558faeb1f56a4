"""Registers every schema in Hydra's ConfigStore (cheap: dataclasses only, no torch)."""

from hydra.core.config_store import ConfigStore

from lightship.config.resolvers import register_resolvers
from lightship.config.root import LightshipConfig
from lightship.config.schemas import data, drift, image_data, image_model, model, retrain, serve, stream, task, tracking, trainer

_GROUP_MODULES = (task, model, data, drift, retrain, serve, stream, trainer, tracking, image_data, image_model)
_registered = False


def register_schemas() -> None:
    """Store the primary schema as ``base_config`` and each group schema under its group."""
    global _registered
    if _registered:
        return
    register_resolvers()
    store = ConfigStore.instance()
    store.store(name="base_config", node=LightshipConfig)
    for module in _GROUP_MODULES:
        for name, node in module.SCHEMAS.items():
            store.store(group=module.GROUP, name=name, node=node)
    _registered = True
