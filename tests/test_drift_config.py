"""Each ``drift=<option>`` composes against the schema and instantiates a working detector."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf

from lightship.config.store import register_schemas
from lightship.monitoring.drift import ReferenceProfile
from lightship.monitoring.drift.windows import LiveWindow

CONF = Path(__file__).resolve().parents[1] / "conf"
OPTIONS = sorted(path.stem for path in (CONF / "drift").glob("*.yaml"))


def _compose(*overrides):
    register_schemas()
    with initialize_config_dir(config_dir=str(CONF), version_base=None):
        return compose("config", overrides=list(overrides))


def test_all_documented_options_exist():
    assert {"ks", "psi", "chi2", "none", "auto"} <= set(OPTIONS)


def test_ks_is_the_default():
    assert _compose().drift.name == "ks"


@pytest.mark.parametrize("option", OPTIONS)
def test_option_instantiates_a_detector_that_fits_and_compares(option):
    cfg = _compose(f"drift={option}", "drift.correction=holm", "drift.alpha=0.01")
    rng = np.random.default_rng(0)
    profile = ReferenceProfile.from_frame(pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(["a", "b"], 500)}),
                                          max_rows=cfg.drift.max_reference_rows)
    detector = instantiate(cfg.drift)
    report = detector.fit(profile).compare(pd.DataFrame({"x": rng.normal(3, 1, 200), "c": ["a"] * 200}))
    assert report.detector == option
    assert report.drifted is (option != "none")


def test_typo_in_drift_options_fails_at_compose_time():
    with pytest.raises(Exception, match="corection"):
        _compose("drift.corection=holm")
    with pytest.raises(Exception, match="correction"):
        _compose("drift.correction=sidak")


def test_live_window_builds_from_the_window_node():
    cfg = _compose("drift.window.size=3")
    window = LiveWindow.from_config(cfg.drift.window)
    window.add([{"x": 1.0}, {"x": 2.0}, {"x": 3.0}])
    assert len(window.take()) == 3
    assert OmegaConf.select(cfg, "drift.events_log") == "drift_events.jsonl"
