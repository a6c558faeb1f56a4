"""Helpers of the streaming tests: the consumer's overrides, a consumer subprocess, output checks."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from lightship.serving.server_process import PORT_PLACEHOLDER, ServerProcess

BIN = Path(sys.executable).parent


def overrides(folder: Path, url: str, prefix: str, *extra: str) -> list[str]:
    """``task=stream`` on streams named after ``prefix``, CPU runtime, stores and logs inside ``folder``."""
    return [
        "task=stream", f"stream.url={url}", f"stream.input={prefix}:in", f"stream.output={prefix}:out",
        f"stream.dead_letter={prefix}:dead", "serve=bentoml_cpu", "serve.intra_op_threads=1", f"serve.store_path={folder / (prefix + '.db')}",
        f"tracking.uri=sqlite:///{folder / 'mlflow.db'}", f"drift.events_log={folder / (prefix + '_drift.jsonl')}",
        f"drift.live_report={folder / (prefix + '_drift.json')}", *extra,
    ]


class Consumer(ServerProcess):
    """``lightship task=stream`` in its own process group; ready when its metrics endpoint answers."""

    def __init__(self, folder: Path, args: Sequence[str], name: str) -> None:
        command = [str(BIN / "lightship"), *args, f"stream.consumer={name}", f"stream.metrics_port={PORT_PLACEHOLDER}",
                   "stream.metrics_host=127.0.0.1", f"hydra.run.dir={folder / ('run-' + name)}"]
        super().__init__(command, folder / f"{name}.log", cwd=folder, ready_path="/metrics")
        self.run_dir = folder / ("run-" + name)

    def metrics(self) -> str:
        import httpx

        return httpx.get(self.url + "/metrics", timeout=10).text

    def summary(self) -> dict[str, Any]:
        """The counts the task wrote when it stopped."""
        from lightship.tasks.stream import SUMMARY_FILE

        return json.loads((self.run_dir / SUMMARY_FILE).read_text())


def text_events(n: int, start: int = 0) -> list[dict[str, str]]:
    topics = ["my card was charged twice", "the parcel never arrived", "cannot log in after password reset",
              "someone used my account for purchases I did not make", "the app crashes when I open settings"]
    return [{"text": f"{topics[i % len(topics)]} (ticket {i})"} for i in range(start, start + n)]


def output_ids(client: Any, stream: str) -> list[str]:
    from lightship.streaming.local_redis import entries

    return [fields["event_id"] for _, fields in entries(client, stream)]


def check_predictions(client: Any, stream: str, labels: Sequence[str]) -> list[dict[str, str]]:
    """Every output entry has the four fields, a known label and probabilities over the labels summing to 1."""
    from lightship.streaming.local_redis import entries

    rows = [fields for _, fields in entries(client, stream)]
    for fields in rows:
        assert set(fields) == {"event_id", "label", "probabilities", "model_version"}, fields
        probabilities = json.loads(fields["probabilities"])
        assert set(probabilities) == set(labels) and abs(sum(probabilities.values()) - 1) < 1e-6
        assert fields["label"] == max(probabilities, key=probabilities.get) and fields["model_version"] == "1"
    return rows


def wait_for(condition: Callable[[], bool], timeout_s: float = 120.0, process: Optional[ServerProcess] = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.process.poll() is not None:
            raise AssertionError(f"consumer exited with {process.process.returncode}:\n{process.log_tail()}")
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout_s} s" + (f":\n{process.log_tail()}" if process else ""))


def pending(client: Any, stream: str, group: str = "lightship") -> int:
    return int(client.xpending(stream, group)["pending"])
