"""The alias watcher does not reload a version that failed until the alias moves; /reload retries it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


def test_a_failed_version_is_not_retried_until_the_alias_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    from lightship.serving import holder as module
    from lightship.serving.holder import ModelHolder, RuntimeOptions

    alias = {"version": "2"}
    loads: list[str] = []
    monkeypatch.setattr(module, "current_version", lambda reference, uri: alias["version"])

    def load(self: ModelHolder, version: str | None = None) -> object:
        loads.append(str(version))
        if version == "3":
            raise ValueError("model.onnx: Protobuf parsing failed")
        return SimpleNamespace(version=version, resolved=SimpleNamespace(release=lambda: None), runtime=SimpleNamespace(input_spec=None))

    monkeypatch.setattr(ModelHolder, "load", load)
    monkeypatch.setattr(ModelHolder, "_input_change", lambda self, candidate: "", raising=False)
    holder = ModelHolder(SimpleNamespace(text="models:/m@champion"), "sqlite://", RuntimeOptions(), ["smoke"])
    assert holder.refresh("alias watcher").outcome == "swapped"
    alias["version"] = "3"
    assert holder.refresh("alias watcher").outcome == "failed"
    assert [holder.refresh("alias watcher").outcome for _ in range(5)] == ["unchanged"] * 5
    assert loads == ["2", "3"] and holder.current.version == "2"
    assert holder.refresh("reload endpoint", retry_failed=True).outcome == "failed" and loads == ["2", "3", "3"]
    alias["version"] = "2"  # the alias moves away and back: the broken version gets one more try
    assert holder.refresh("alias watcher").outcome == "unchanged"
    alias["version"] = "3"
    assert holder.refresh("alias watcher").outcome == "failed" and loads == ["2", "3", "3", "3"]
