"""The service's live drift monitor: windows of served predictions against the model's reference.

Each worker runs one :class:`LiveDriftMonitor`. The request path only calls
:meth:`LiveDriftMonitor.observe`, which appends a reference to the batch the model
already computed (probabilities, embedding, token ids or raw rows) to a bounded queue:
no feature is computed and no lock is waited on there. A daemon thread wakes every
``drift.check_interval_s``, turns the queued batches into feature rows
(:class:`lightship.monitoring.model_features.ModelFeatures`, the same code as training
and ``task=drift``), feeds them to a :class:`LiveWindow` (``drift.window``) and, each
time a window is due, runs the ``drift`` group's detector and publishes the verdict:

- Prometheus (``metrics``, the service passes its ``DriftMetrics``): ``lightship_drift_detected``,
  ``lightship_drift_statistic{feature}``, ``lightship_drift_p_value{feature}``,
  ``lightship_drift_windows_total{drifted}``;
- the window's label-free performance estimate (:mod:`lightship.monitoring.estimation`):
  ``lightship_estimated_accuracy`` and ``lightship_estimated_high_risk_recall``;
- one JSON line per window appended to ``drift.events_log`` (``time``, ``timestamp``,
  ``model_version``, ``drifted``, ``drift_share``, ``drifted_features``, ``n_rows``, ``pid``,
  ``estimated_accuracy``, ``estimated_high_risk_recall``)
  with a single ``O_APPEND`` write, so workers sharing the file never interleave lines;
- the full report as ``drift.live_report`` (replaced atomically), which ``GET /drift`` serves.

With several workers each one watches the requests it answered. A new model version
starts a new window against its own bundle's reference profile.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections import deque
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

from lightship.monitoring.drift.windows import LiveWindow

log = logging.getLogger(__name__)

# Batches waiting for the monitor thread; beyond this the oldest are dropped (and counted),
# so a stalled check can never grow the worker's memory.
MAX_PENDING_BATCHES = 10_000


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line with a single write on an ``O_APPEND`` descriptor (safe across processes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, allow_nan=False, default=str) + "\n").encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)


def replace_file(path: Path, text: str) -> None:
    """Write to a temporary file next to ``path``, then rename: readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8") as handle:
        handle.write(text)
    os.replace(handle.name, path)


class LiveDriftMonitor:
    """One worker's drift monitor (see the module docstring).

    ``metrics`` is a ``DriftMetrics`` (or None); ``clock`` gives Unix seconds (tests pass a fake).
    """

    def __init__(self, drift_cfg: Any, metrics: Any = None, clock: Callable[[], float] = time.time) -> None:
        self.cfg = drift_cfg
        self.metrics = metrics
        self.clock = clock
        self.events_log = Path(drift_cfg.events_log)
        self.live_report = Path(drift_cfg.live_report)
        self.started_at = clock()
        self.latest: Optional[dict[str, Any]] = None
        self.dropped_batches = 0
        self.problem: Optional[str] = None
        self._pending: deque[tuple[Any, Any, Sequence[str]]] = deque()
        self._model: Any = None
        self._features: Any = None
        self._detector: Any = None
        self._window: Optional[LiveWindow] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    # -- request path ----------------------------------------------------------------------
    def observe(self, model: Any, outputs: Any, inputs: Sequence[Any]) -> None:
        """Queue one scored batch (``model``: the ``LoadedModel`` that scored it; ``inputs``: its raw inputs). O(1), never blocks."""
        if len(self._pending) >= MAX_PENDING_BATCHES:
            self.dropped_batches += 1
            return
        self._pending.append((model, outputs, inputs))

    # -- background thread -------------------------------------------------------------------
    def start(self) -> "LiveDriftMonitor":
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="lightship-drift-monitor", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(float(self.cfg.check_interval_s)):
            try:
                self.check()
            except Exception:  # the monitor must never take the worker down
                log.exception("drift check failed; the service keeps answering")

    def check(self) -> list[dict[str, Any]]:
        """Feed the queued batches to the window; run the detector on every window that is due.

        Returns the events written (one per checked window). Called by the thread; tests call it directly.
        """
        events = []
        while self._pending:
            model, outputs, inputs = self._pending.popleft()
            if not self._bind(model):
                continue
            columns = self._features.columns(model.runtime.batch_predictions(outputs), inputs)
            # The window holds each row's raw model outputs; features are computed once per window, in
            # _check. Row by row, so a batch larger than what the window still needs never drops unchecked rows.
            for values in zip(*columns.values()):
                self._window.add(dict(zip(columns, values)))
                events += self._check_due()
        return events + self._check_due()

    def _bind(self, model: Any) -> bool:
        """Follow the model that scored the batch: a new version gets its own profile, detector and window."""
        if model is self._model:
            return self._detector is not None
        from lightship.monitoring.model_features import ModelFeatures, fitted_detector

        self._model, self._features, self._detector, self._window = model, None, None, None
        try:
            self._features = ModelFeatures.from_bundle(model.resolved.bundle.path, model.labels)
            self._detector = fitted_detector(self.cfg, self._features.profile)
        except Exception as exc:
            self.problem = f"model version {model.version} is not monitored: {exc}"
            log.warning("drift monitor: %s", self.problem)
            return False
        self.problem = None
        self._window = LiveWindow.from_config(self.cfg.window, clock=self.clock)
        log.info("drift monitor: watching model version %s (%s, window %s)", model.version, self.cfg.name,
                 asdict(self._window.spec))
        return True

    def _check_due(self) -> list[dict[str, Any]]:
        events = []
        while self._window is not None and (records := self._window.take_records()) is not None:
            if records:
                columns = {name: np.stack([record[name] for record in records]) for name in records[0]}
                events.append(self._check(self._features.table(columns), self._estimate(columns["probs"])))
        return events

    def _estimate(self, probabilities: np.ndarray) -> Any:
        """The window's label-free performance estimate (CBPE) under the model's own decision rule."""
        from lightship.inference.decision import decide
        from lightship.monitoring.estimation import estimate_performance, high_risk_index

        runtime = self._model.runtime
        return estimate_performance(probabilities, decide(probabilities, runtime.rule), high_risk_index(runtime.labels, runtime.bundle.high_risk_label))

    def _check(self, frame: Any, estimate: Any) -> dict[str, Any]:
        now = self.clock()
        stamp = datetime.fromtimestamp(now, tz=timezone.utc).isoformat()
        report = self._detector.compare(frame, metadata={"model_version": self._model.version, "time": stamp,
                                                         "pid": os.getpid(), "window": asdict(self._window.spec)})
        event = {"time": stamp, "timestamp": now, "model_version": self._model.version, "drifted": report.drifted,
                 "drift_share": report.drift_share, "drifted_features": report.drifted_features,
                 "n_rows": report.n_current, "pid": os.getpid(), **estimate.to_dict()}
        if self.metrics is not None:
            self.metrics.publish(report, estimate)
        self.latest = report.to_dict()
        append_line(self.events_log, event)
        replace_file(self.live_report, json.dumps(self.latest, indent=2, allow_nan=False, default=str))
        (log.warning if report.drifted else log.info)("drift window (%d rows, version %s): drifted=%s %s",
                                                      report.n_current, self._model.version, report.drifted,
                                                      report.drifted_features)
        return event

    # -- GET /drift ---------------------------------------------------------------------------
    def latest_report(self) -> Optional[dict[str, Any]]:
        """The newest report of any worker since this server started (the shared file), else this worker's."""
        try:
            if self.live_report.stat().st_mtime >= self.started_at:
                return json.loads(self.live_report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        return self.latest

    def http_answer(self) -> tuple[int, dict[str, Any]]:
        """Status and body of ``GET /drift``: the latest report, or 404 saying why there is none yet."""
        report = self.latest_report()
        if report is not None:
            return 200, report
        window = self.cfg.window
        due = (f"{window.size} predictions" if str(getattr(window.by, "value", window.by)) == "count"
               else f"{window.duration} (at least {window.min_rows} predictions)")
        why = self.problem or f"no drift window checked yet: the first check runs after {due} (drift.window)"
        return 404, {"error": why, "reason": "no_drift_report", "events_log": str(self.events_log)}


def disabled_answer() -> tuple[int, dict[str, Any]]:
    """``GET /drift`` when the monitor is off (``drift.live=false``)."""
    return 404, {"error": "the live drift monitor is off (drift.live=false)", "reason": "drift_monitor_off"}
