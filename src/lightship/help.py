"""``lightship --help``: groups, options, defaults and examples, read straight from ``conf/``.

Hydra's own help composes the config once per config group (seconds on this tree);
this one reads the folder listing and the primary defaults list, so it answers at once.
``lightship --hydra-help`` still shows Hydra's flags.
"""

from __future__ import annotations

import yaml

from lightship.config.paths import CONFIG_DIR, CONFIG_NAME

EXAMPLES = """\
Examples:
  lightship                                         train -> ONNX export + parity -> MLflow version (built-in data)
  lightship experiment=smoke                        the whole pipeline in seconds
  lightship data=text_file data.path=tickets.csv data.text_column=body data.label_column=queue
  lightship trainer.max_epochs=2 model.hidden_size=64
  lightship -m model.hidden_size=32,64             a sweep: one MLflow run per job, one experiment
  lightship task=stream stream.url=redis://HOST:6379/0   score a Redis stream, one prediction per event
  lightship --cfg job                               print the composed config
  lightship --hydra-help                            Hydra's flags (multirun, launchers, sweepers)"""


def default_options() -> dict[str, str]:
    """The option each group uses by default, from the primary config's defaults list."""
    defaults = yaml.safe_load((CONFIG_DIR / f"{CONFIG_NAME}.yaml").read_text())["defaults"]
    chosen: dict[str, str] = {}
    for entry in defaults:
        if isinstance(entry, dict):
            for group, option in entry.items():
                chosen[group.replace("optional ", "")] = str(option)
    return chosen


def help_text() -> str:
    from lightship.config.validation import group_options

    chosen = default_options()
    lines = ["usage: lightship [group=option ...] [key=value ...] [-m] [--cfg job]", "", "Config groups (default first):"]
    for group in sorted(path.name for path in CONFIG_DIR.iterdir() if path.is_dir()):
        options = [name for name in group_options(group) if not name.endswith("_schema")]
        default = chosen.get(group)
        ordered = ([default] if default in options else []) + [name for name in options if name != default]
        lines.append(f"  {group:<11} {', '.join(ordered)}")
    lines += ["", EXAMPLES, "", f"Config tree: {CONFIG_DIR.resolve()}"]
    return "\n".join(lines)
