"""A model that cannot load stops ``bentoml serve`` at once, with one line naming the file,
instead of workers failing in a restart loop."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest

from server_process import TEST_OVERRIDES, Server


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


CORRUPTIONS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "truncated graph": ("model.onnx", _truncate),
    "garbage graph": ("model.onnx", lambda path: path.write_bytes(b"\x00not a graph")),
    "truncated manifest": ("manifest.json", _truncate),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_corrupt_bundle_stops_the_service_naming_the_file(smoke_run: dict, tmp_path: Path, case: str) -> None:
    name, corrupt = CORRUPTIONS[case]
    bundle = tmp_path / "bundle"
    shutil.copytree(smoke_run["bundle"], bundle)
    corrupt(bundle / name)
    server = Server(f"sqlite:///{tmp_path / 'mlflow.db'}", f"{TEST_OVERRIDES} serve.store_path={tmp_path / 'live.db'}", tmp_path / "server.log", model=str(bundle))
    with pytest.raises(RuntimeError, match="server exited with 1") as failure:
        server.wait_ready(timeout_s=180)
    last_line = server.log_tail().strip().splitlines()[-1]
    assert last_line.startswith(f"lightship: cannot serve {bundle}") and str(bundle / name) in last_line, str(failure.value)[-2000:]
    assert not server.group_alive()
