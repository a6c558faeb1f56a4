"""The ``lightship`` command: a Hydra app over ``conf/``.

Before Hydra runs, the overrides are composed once more through the compose API so a
bad key, option or value fails with the dotted key, the bad value, what is accepted and
a "did you mean" (for a sweep, each swept value is checked). Nothing here imports torch.
"""

from __future__ import annotations

import sys
from typing import Any, Optional, Sequence

import hydra
from omegaconf import DictConfig

from lightship.config.paths import CONFIG_DIR, CONFIG_NAME
from lightship.config.store import register_schemas
from lightship.errors import LightshipError

register_schemas()

_FLAGS_WITH_VALUE = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd", "--experimental-rerun"}
_SKIP_CHECK_FLAGS = {"--help", "-h", "--hydra-help", "--version", "--shell-completion", "-sc", "--info", "-i", "--experimental-rerun"}
_MULTIRUN_FLAGS = {"--multirun", "-m"}
_MAX_SWEEP_CHECKS = 64


def _overrides(argv: Sequence[str]) -> list[str]:
    """The override arguments of a command line (flags and their values removed)."""
    overrides, skip_next = [], False
    for arg in argv:
        if skip_next:
            skip_next = False
        elif arg in _FLAGS_WITH_VALUE:
            skip_next = True
        elif not arg.startswith("-"):
            overrides.append(arg)
    return overrides


def _sweep_variants(overrides: list[str]) -> list[list[str]]:
    """Override lists to validate: the fixed overrides plus, in turn, each value of each sweep."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
    variants = [fixed]
    for override in (o for o in parsed if o.is_sweep_override()):
        try:
            values = list(override.sweep_string_iterator())
        except Exception:  # ranges and intervals (Optuna) have no value list to check
            continue
        key = override.get_key_element()
        variants.extend(fixed + [f"{key}={value}"] for value in values)
    return variants[:_MAX_SWEEP_CHECKS]


def check_command_line(argv: Sequence[str]) -> Optional[str]:
    """Return an error message when the command line's config would not compose, else None."""
    from lightship.config.validation import compose_config
    from lightship.errors import ConfigError

    if any(arg in _SKIP_CHECK_FLAGS for arg in argv):
        return None
    overrides = _overrides(argv)
    try:
        variants = _sweep_variants(overrides) if any(arg in _MULTIRUN_FLAGS for arg in argv) else [overrides]
        for variant in variants:
            compose_config(variant)
    except ConfigError as exc:
        return str(exc)
    except Exception as exc:  # an override that does not even parse
        return f"cannot parse the overrides {overrides}: {exc}"
    return None


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name=CONFIG_NAME)
def app(cfg: DictConfig) -> Any:
    """Run the task the config names; a ``LightshipError`` exits with status 2 and its message.

    Inside a multirun the error is re-raised instead: Hydra marks the job failed, runs the
    other jobs and the sweep callbacks record the failure in the leaderboard.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from lightship.config.validation import validate_composed
    from lightship.tasks import run_task

    try:
        validate_composed(cfg)
        return run_task(cfg)
    except LightshipError as exc:
        if HydraConfig.get().mode == RunMode.MULTIRUN:
            _print_error(str(exc))
            raise
        _fail(str(exc))


def _print_error(message: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    # escape: messages quote values such as "[local, ray]", which rich would otherwise read as markup and drop.
    Console(stderr=True, soft_wrap=True).print(f"[bold red]lightship:[/] {escape(message)}", highlight=False)


def _fail(message: str) -> None:
    _print_error(message)
    raise SystemExit(2)


def main() -> None:
    if any(arg in ("--help", "-h") for arg in sys.argv[1:]):
        from lightship.help import help_text

        print(help_text())
        return
    problem = check_command_line(sys.argv[1:])
    if problem:
        _fail(problem)
    app()


if __name__ == "__main__":
    main()
