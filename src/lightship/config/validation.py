"""Compose-time validation: turn Hydra/OmegaConf errors into messages a user can act on.

Hydra already refuses unknown keys, wrong types and unknown Enum values through the
structured-config schemas; this module names the dotted key, the bad value and what is
accepted, adds a "did you mean" for near names, and checks what the schemas cannot
(mandatory ``???`` values, the ``_target_`` allow-list). It never imports torch.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Optional, Sequence

from omegaconf import DictConfig, OmegaConf

from lightship.config.paths import CONFIG_DIR, CONFIG_NAME
from lightship.config.store import register_schemas
from lightship.config.targets import check_targets
from lightship.errors import ConfigError

_MISSING_OPTION = re.compile(r"Could not find '(?P<group>[^']+)/(?P<option>[^'/]+)'")
_SCHEMA_SUFFIX = "_schema"


def group_options(group: str) -> list[str]:
    """The user-selectable options of a config group (YAML files; schemas excluded)."""
    folder = CONFIG_DIR / group
    return sorted(path.stem for path in folder.glob("*.yaml")) if folder.is_dir() else []


def did_you_mean(word: str, candidates: Sequence[str]) -> str:
    """`` Did you mean 'x'?`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _explain_missing_option(message: str) -> Optional[str]:
    match = _MISSING_OPTION.search(message)
    if not match:
        return None
    group, option = match["group"], match["option"]
    options = [name for name in group_options(group) if not name.endswith(_SCHEMA_SUFFIX)]
    return (
        f"{group}={option}: no such option in group '{group}'.{did_you_mean(option, options)}"
        f" Accepted: {', '.join(options)}."
    )


def _node_keys(overrides: Sequence[str], bad_key: str) -> list[str]:
    """Keys of the node that holds ``bad_key``, composed without the offending override."""
    parent, _, _ = bad_key.rpartition(".")
    kept = [ov for ov in overrides if ov.split("=", 1)[0].lstrip("+~") != bad_key]
    try:
        cfg = _compose(kept, return_hydra_config=False)
    except Exception:
        return []
    node = OmegaConf.select(cfg, parent) if parent else cfg
    return [str(key) for key in node.keys()] if isinstance(node, DictConfig) else []


def _explain_cause(cause: Any, overrides: Sequence[str]) -> Optional[str]:
    """Explain an OmegaConf error (unknown key, wrong type, bad Enum value)."""
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    full_key = getattr(cause, "full_key", None)
    if not full_key:
        return None
    schema = getattr(getattr(cause, "object_type", None), "__name__", "the schema")
    if isinstance(cause, (ConfigAttributeError, ConfigKeyError)):
        keys = [key for key in _node_keys(overrides, full_key) if not key.startswith("_")]
        name = full_key.rpartition(".")[2]
        return (
            f"{full_key}: unknown key (not in {schema}).{did_you_mean(name, keys)}"
            f" Accepted keys: {', '.join(keys)}."
        )
    if isinstance(cause, ValidationError):
        value = next((ov.split("=", 1)[1] for ov in overrides if ov.split("=", 1)[0].lstrip("+") == full_key), None)
        shown = f"={value}" if value is not None else ""
        detail = str(cause.msg).strip().splitlines()[0]
        return f"{full_key}{shown}: invalid value for {schema}. {detail}"
    return None


def explain(exc: Exception, overrides: Sequence[str]) -> str:
    """One message for a failed composition: the key or option, the bad value, what is accepted."""
    message = str(exc)
    explained = _explain_missing_option(message) or _explain_cause(exc.__cause__, overrides)
    return explained or message


def _compose(overrides: Sequence[str], return_hydra_config: bool) -> DictConfig:
    from hydra import compose, initialize_config_dir

    register_schemas()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(CONFIG_NAME, overrides=list(overrides), return_hydra_config=return_hydra_config)


def missing_keys(node: Any, path: str = "") -> list[str]:
    """Dotted keys whose value is the mandatory marker ``???`` (``None`` nodes are fine)."""
    from omegaconf import ListConfig

    found: list[str] = []
    if isinstance(node, DictConfig) and not node._is_none():
        for key in node.keys():
            child = node._get_node(key)
            child_path = f"{path}.{key}" if path else str(key)
            found += [child_path] if child._is_missing() else missing_keys(child, child_path)
    elif isinstance(node, ListConfig) and not node._is_none() and not node._is_missing():
        for index in range(len(node)):
            child = node._get_node(index)
            found += [f"{path}[{index}]"] if child._is_missing() else missing_keys(child, f"{path}[{index}]")
    return found


def validate_composed(cfg: DictConfig) -> None:
    """Checks the schemas cannot express: mandatory values are set, targets are allowed."""
    missing = sorted(key for key in missing_keys(cfg) if not key.startswith("hydra."))
    if missing:
        raise ConfigError(
            "Missing mandatory value(s): "
            + ", ".join(missing)
            + ". Set them on the command line, e.g. "
            + " ".join(f"{key}=..." for key in missing)
        )
    check_targets(cfg, list(cfg.allowed_targets))
    check_shares(cfg)
    check_ranges(cfg)


_SHARES = ("metrics.alert_rate", "metrics.precision_target", "serve.shadow.fraction", "retrain.shadow_alpha")


def check_shares(cfg: DictConfig) -> None:
    """Settings that are shares of rows must lie in (0, 1]."""
    for key in _SHARES:
        value = OmegaConf.select(cfg, key)
        if value is not None and not 0 < float(value) <= 1:
            raise ConfigError(f"{key}={value}: must be a share of rows, above 0 and at most 1 (e.g. {key}=0.01).")


_RANGES = {"serve.shadow.nice": (0, 19)}


def check_ranges(cfg: DictConfig) -> None:
    """Integer settings with a fixed range (inclusive)."""
    for key, (low, high) in _RANGES.items():
        value = OmegaConf.select(cfg, key)
        if value is not None and not low <= int(value) <= high:
            raise ConfigError(f"{key}={value}: must lie between {low} and {high} (e.g. {key}={high}).")


def compose_config(overrides: Sequence[str] = (), return_hydra_config: bool = False) -> DictConfig:
    """Compose ``conf/`` with overrides, validated; raises ``ConfigError`` with an actionable message."""
    try:
        cfg = _compose(overrides, return_hydra_config)
    except ConfigError:
        raise
    except Exception as exc:  # Hydra and OmegaConf raise several unrelated types here
        raise ConfigError(explain(exc, overrides)) from exc
    validate_composed(cfg)
    return cfg
