"""The shadow's request path without a server: sampling, and a full queue that drops the mirror instead of waiting."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightship.serving.store import PredictionRecord, PredictionStore


def _records(n: int) -> list[PredictionRecord]:
    return [PredictionRecord(f"id-{i}", f"text {i}", 6, 2, False, "billing", 0.9, {"billing": 0.9, "fraud": 0.1}, "lightship", "1")
            for i in range(n)]


def test_a_full_queue_drops_the_mirror_and_counts_it_and_the_fraction_samples(tmp_path: Path) -> None:
    from lightship.config.validation import compose_config
    from lightship.serving.reference import ModelReference
    from lightship.serving.settings import ServingSettings
    from lightship.serving.shadow import ShadowMirror

    cfg = compose_config(["serve=bentoml_cpu", "serve.shadow.enabled=true", "serve.shadow.queue_size=1", "serve.shadow.fraction=0.5"])
    settings = ServingSettings(cfg, [], ModelReference("models:/lightship@champion", name="lightship", alias="champion"), f"sqlite:///{tmp_path / 'm.db'}")
    store = PredictionStore(tmp_path / "live.db")
    mirror = ShadowMirror(settings, store, champion=None)  # type: ignore[arg-type]  # no thread: nothing drains the queue
    mirror.holder.current = object()  # type: ignore[assignment]  # a challenger is held

    records = _records(1000)
    mirror.offer([r.text for r in records], records)  # fills the one-batch queue
    queued = len(mirror.queue.get_nowait().records)
    assert 400 < queued < 600  # fraction 0.5 of 1000 items (binomial, sd 16)
    mirror.offer([r.text for r in records], records)
    mirror.offer([r.text for r in records], records)  # the queue is full: dropped, not waited for (a blocking put would hang here)
    assert mirror.queue.qsize() == 1 and 400 < mirror.counts["dropped"] < 600
    from prometheus_client import REGISTRY

    assert REGISTRY.get_sample_value("lightship_shadow_requests_total", {"outcome": "dropped"}) == mirror.counts["dropped"]
    store.close()


def test_the_shadow_holder_releases_a_removed_alias_and_refuses_inputs_the_champion_does_not_take(monkeypatch) -> None:
    from types import SimpleNamespace

    from lightship.serving import holder as module
    from lightship.serving.holder import ModelHolder, RuntimeOptions

    alias: dict[str, object] = {"version": "2"}
    released: list[str] = []
    monkeypatch.setattr(module, "current_version", lambda reference, uri: alias["version"])

    def fake(version: str, kind: str) -> SimpleNamespace:
        return SimpleNamespace(version=version, release=lambda: released.append(version), runtime=SimpleNamespace(input_spec={"kind": kind}))

    monkeypatch.setattr(ModelHolder, "load", lambda self, version=None: fake(str(version), "tabular" if version == "3" else "text"))
    champion = SimpleNamespace(current=fake("1", "text"))
    holder = ModelHolder(SimpleNamespace(text="models:/m@challenger"), "sqlite://", RuntimeOptions(), ["smoke"],
                         requests_from=lambda: champion.current, release_when_unset=True)
    assert holder.refresh("shadow start").outcome == "swapped" and holder.current.version == "2"
    alias["version"] = "3"  # a challenger that takes rows while the champion takes texts
    refused = holder.refresh("alias watcher")
    assert refused.outcome == "failed" and "version 1 in service" in refused.reason and holder.current.version == "2"
    alias["version"] = None  # retired or promoted: the alias is removed
    assert holder.refresh("alias watcher").outcome == "released" and holder.current is None and released == ["3", "2"]
    assert holder.refresh("alias watcher").outcome == "unchanged"


def test_the_mirror_thread_runs_at_a_lower_priority_and_a_bad_nice_fails_at_compose(tmp_path: Path, monkeypatch) -> None:
    import os
    import time

    import pytest

    from lightship.config.validation import compose_config
    from lightship.errors import ConfigError
    from lightship.serving.reference import ModelReference
    from lightship.serving.settings import ServingSettings
    from lightship.serving import shadow_metrics
    from lightship.serving.shadow import ShadowMirror

    monkeypatch.setattr(shadow_metrics, "ShadowMetrics", lambda: None)  # the process's series exist once (the test above made them)
    cfg = compose_config(["serve=bentoml_cpu", "serve.shadow.enabled=true", "serve.shadow.nice=7"])
    settings = ServingSettings(cfg, [], ModelReference("models:/lightship@champion", name="lightship", alias="champion"), f"sqlite:///{tmp_path / 'm.db'}")
    store = PredictionStore(tmp_path / "live.db")
    mirror = ShadowMirror(settings, store, champion=None)  # type: ignore[arg-type]
    monkeypatch.setattr(mirror.holder, "refresh", lambda trigger, retry_failed=False: None)  # no registry here
    base = os.getpriority(os.PRIO_PROCESS, 0)
    mirror.start(watch_interval_s=0)
    try:
        thread = mirror._thread
        assert thread is not None and thread.native_id is not None
        deadline = time.monotonic() + 10
        while os.getpriority(os.PRIO_PROCESS, thread.native_id) == base and time.monotonic() < deadline:
            time.sleep(0.01)
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == min(base + 7, 19)
        assert os.getpriority(os.PRIO_PROCESS, 0) == base  # the worker's own threads keep theirs
    finally:
        mirror.stop()
        store.close()
    with pytest.raises(ConfigError, match=r"serve.shadow.nice=25: must lie between 0 and 19"):
        compose_config(["serve.shadow.nice=25"])


@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_either_isolation_scores_mirrored_items_and_stores_them_under_the_champions_ids(isolation: str, smoke_run: dict, tmp_path: Path,
                                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from lightship.bundle import Bundle
    from lightship.config.validation import compose_config
    from lightship.inference import load_runtime
    from lightship.inference.runtime_process import RuntimeProcess
    from lightship.inference.scoring import score
    from lightship.serving import shadow_metrics
    from lightship.serving.holder import LoadedModel
    from lightship.serving.reference import ModelReference, ResolvedModel
    from lightship.serving.settings import ServingSettings
    from lightship.serving.shadow import ShadowMirror

    monkeypatch.setattr(shadow_metrics, "ShadowMetrics", _NoMetrics)  # the process's series exist once (another test made them)
    cfg = compose_config(["serve=bentoml_cpu", "serve.shadow.enabled=true", f"serve.shadow.isolation={isolation}"])
    settings = ServingSettings(cfg, [], ModelReference("models:/lightship@champion", name="lightship", alias="champion"), f"sqlite:///{tmp_path / 'm.db'}")
    store = PredictionStore(tmp_path / "live.db")
    mirror = ShadowMirror(settings, store, champion=None)  # type: ignore[arg-type]
    bundle = Bundle.load(smoke_run["bundle"])
    texts = ["my card was charged twice", "the parcel never arrived", "cannot log in after password reset", "refund please"] * 3
    champion = score(load_runtime(bundle), texts)
    records = [PredictionRecord(item.id, text, len(text), item.tokens, False, item.label, item.confidence, item.probabilities, "lightship", "1")
               for item, text in zip(champion.items, texts)]
    store.record_predictions(records)

    runtime = mirror.holder.open_runtime(bundle, mirror.holder.options)
    assert isinstance(runtime, RuntimeProcess) == (isolation == "process")
    mirror.holder.current = LoadedModel(runtime, ResolvedModel(bundle, {"name": "lightship", "version": "2"}))
    try:
        mirror._score(texts, records)
        assert mirror.counts == {"mirrored": len(texts), "dropped": 0, "failed": 0}
        pairs = {(a, b): n for a, b, _, n in store.shadow_counts("1", "2")}
        assert sum(pairs.values()) == len(texts) and all(a == b for a, b in pairs)  # the same bundle: the same answers
    finally:
        mirror.stop()  # releases the challenger: its runtime process ends
        store.close()
    assert mirror.holder.current is None
    if isinstance(runtime, RuntimeProcess):
        assert not runtime.alive


class _NoMetrics:
    """Stands in for the process-wide shadow series, which a test process can register once."""

    def __getattr__(self, name: str) -> "_NoMetrics":
        return self

    def __call__(self, *args: object, **kwargs: object) -> "_NoMetrics":
        return self
