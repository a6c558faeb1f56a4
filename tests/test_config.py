"""Every option of every group composes against its schema; bad config fails at compose time."""

from __future__ import annotations

import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from lightship.config.schemas import data, drift, model, retrain, serve, task, tracking, trainer
from lightship.config.validation import compose_config, group_options
from lightship.errors import ConfigError

# Options that need a mandatory value before they compose.
REQUIRED = {("model", "hf"): ["model.name=bert-base-uncased"], ("data", "text_file"): ["data.path=tickets.csv"]}
EXPECTED_SCHEMA = {
    "task": {name: task.TaskConfig for name in ("train", "drift", "retrain", "backtest", "predict", "alerts")},
    "model": {"tiny_bert": model.CustomBertConfig, "minilm": model.PretrainedConfig, "hf": model.PretrainedConfig},
    "data": {"synthetic": data.SyntheticConfig, "text_file": data.TextFileConfig},
    "drift": {name: drift.DriftConfig for name in ("ks", "psi", "chi2", "none")},
    "retrain": {
        "never": retrain.RetrainConfig,
        "periodic": retrain.PeriodicConfig,
        "drift": retrain.DriftTriggeredConfig,
        "online": retrain.OnlineConfig,
    },
    "serve": {"bentoml_gpu": serve.ServeConfig, "bentoml_cpu": serve.ServeConfig},
    "trainer": {name: trainer.TrainerConfig for name in ("cpu", "gpu", "ddp", "debug")},
    "tracking": {"mlflow_local": tracking.TrackingConfig, "mlflow_server": tracking.TrackingConfig},
}
CASES = [(group, option) for group, options in EXPECTED_SCHEMA.items() for option in options]


def user_options(group: str) -> list[str]:
    return [name for name in group_options(group) if not name.endswith("_schema")]


def test_every_declared_option_is_covered() -> None:
    for group, options in EXPECTED_SCHEMA.items():
        assert set(user_options(group)) >= set(options), group


@pytest.mark.parametrize(("group", "option"), CASES)
def test_option_composes_with_its_schema(group: str, option: str) -> None:
    cfg = compose_config([f"{group}={option}", *REQUIRED.get((group, option), [])])
    node = cfg[group]
    assert OmegaConf.get_type(node) is EXPECTED_SCHEMA[group][option]
    if "_target_" in node:
        assert node._target_.startswith("lightship.")


def test_defaults() -> None:
    cfg = compose_config([])
    assert (cfg.task.name, cfg.model.name, cfg.drift.name, cfg.retrain.name, cfg.serve.name) == (
        "train", "tiny_bert", "ks", "never", "bentoml_gpu",
    )
    assert cfg.serve.provider.value == "cuda" and cfg.tracking.uri is None


def test_smoke_experiment_overrides_groups() -> None:
    cfg = compose_config(["experiment=smoke"])
    assert cfg.trainer.enable_progress_bar is False and cfg.model.hidden_size == 32


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["model.hiden_size=64"], ["model.hiden_size", "unknown key", "Did you mean 'hidden_size'?"]),
        (["model=tiny_brt"], ["model=tiny_brt", "Did you mean 'tiny_bert'?", "Accepted: ", "gbdt, ", "hf, ", "minilm, ", "tabular_mlp, "]),
        (["model.hidden_size=big"], ["model.hidden_size=big", "'big'", "Integer"]),
        (["serve.precision=bf16"], ["serve.precision=bf16", "expected one of [fp32, int8, fp16]"]),
        (["retrain=hourly"], ["retrain=hourly", "Accepted: drift, never, online, periodic"]),
        (["data=text_file"], ["data.path", "Missing mandatory"]),
        (["gates.min_acuracy=0.5"], ["gates.min_acuracy", "Did you mean 'min_accuracy'?"]),
        (["task._target_=os.system"], ["task._target_='os.system'", "not an allowed target"]),
    ],
)
def test_bad_config_fails_with_an_actionable_message(overrides: list[str], expected: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        compose_config(overrides)
    for fragment in expected:
        assert fragment in str(caught.value)


def run_cli(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lightship", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_help_is_fast_and_imports_no_torch() -> None:
    code = (
        "import sys; sys.argv = ['lightship', '--help']\n"
        "from lightship.cli import main\nmain()\n"
        "assert 'torch' not in sys.modules and 'mlflow' not in sys.modules, 'heavy import on --help'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    models = next(line for line in done.stdout.splitlines() if line.strip().startswith("model "))
    assert models.split()[1] == "tiny_bert," and {"gbdt,", "hf,", "minilm,", "tabular_mlp,"} <= set(models.split())


def test_cli_rejects_a_typo_before_running(tmp_path) -> None:
    done = run_cli("-m", "model.hidden_size=32,6x", cwd=str(tmp_path))
    assert done.returncode == 2
    assert "model.hidden_size=6x" in done.stderr.replace("\n", " ")
    assert not (tmp_path / "multirun").exists()


def test_cli_prints_composed_config(tmp_path) -> None:
    done = run_cli("--cfg", "job", "model.hidden_size=48", cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    composed = OmegaConf.create(done.stdout)
    assert composed.model.hidden_size == 48 and composed.task.name == "train"


def test_task_errors_exit_cleanly_from_the_cli(tmp_path) -> None:
    done = run_cli("task=predict", cwd=str(tmp_path))
    assert done.returncode == 2
    assert "task=predict needs predict.input=PATH" in done.stderr.replace("\n", " ") and "Traceback" not in done.stderr
