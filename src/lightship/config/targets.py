"""``_target_`` instantiation restricted to an allow-list of module prefixes."""

from typing import Any, Iterator

from omegaconf import DictConfig, ListConfig, OmegaConf

from lightship.errors import ConfigError


def iter_targets(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(dotted key, target)`` for every ``_target_`` in a config tree."""
    if isinstance(node, (DictConfig, ListConfig)) and (node._is_none() or node._is_missing()):
        return
    if isinstance(node, DictConfig):
        for key in node.keys():
            child_path = f"{path}.{key}" if path else str(key)
            if key == "_target_":
                value = OmegaConf.select(node, "_target_", throw_on_missing=False)
                if isinstance(value, str):
                    yield child_path, value
            else:
                yield from iter_targets(node._get_node(key), child_path)
    elif isinstance(node, ListConfig):
        for index in range(len(node)):
            yield from iter_targets(node._get_node(index), f"{path}[{index}]")


def check_targets(cfg: DictConfig, allowed_prefixes: list[str]) -> None:
    """Refuse any ``_target_`` outside the allowed module prefixes (``cfg.allowed_targets``)."""
    for key, target in iter_targets(cfg):
        if key.startswith("hydra."):
            continue
        if not any(target.startswith(prefix) for prefix in allowed_prefixes):
            raise ConfigError(
                f"{key}={target!r} is not an allowed target: targets must start with one of "
                f"{allowed_prefixes} (extend `allowed_targets` to trust another module)."
            )


def instantiate(node: DictConfig, allowed_prefixes: list[str], **kwargs: Any) -> Any:
    """``hydra.utils.instantiate`` after checking the node's targets against the allow-list."""
    from hydra.utils import instantiate as hydra_instantiate

    check_targets(node, allowed_prefixes)
    return hydra_instantiate(node, _convert_="all", **kwargs)
