"""Shadow deployment: the challenger answers a copy of the traffic, and the caller never waits for it.

With ``serve.shadow.enabled=true`` each worker holds, beside the champion, the version under
``models:/<tracking.model_name>@<tracking.challenger_alias>`` in a second
:class:`~lightship.serving.holder.ModelHolder` (the same load, smoke check, hot swap and
failed-version memory as the champion's; a challenger whose requests differ from the
champion's is refused, and one whose alias is removed is released). After the champion's
batch is scored and stored, :meth:`ShadowMirror.offer` puts the sampled share
(``serve.shadow.fraction``) of its items on a bounded queue and returns: one thread per worker
has them scored by the challenger (by default in the challenger's own niced child process,
``serve.shadow.isolation``, :mod:`lightship.inference.runtime_process`, so its work never holds
the worker's GIL) and stores its answers under the champion's prediction ids,
so ``/feedback`` labels score both versions. A full queue drops the mirror (counted), it
never blocks the request; a challenger that fails to load or to score leaves the champion
serving and is reported in ``GET /model`` and the ``lightship_shadow_*`` series.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Optional, Sequence

from lightship.bundle import Bundle
from lightship.evaluation.paired import CHALLENGER, CHAMPION, PairedCounts
from lightship.inference.scoring import score
from lightship.serving.holder import LoadedModel, ModelHolder, RuntimeOptions, SwapOutcome, open_in_process
from lightship.serving.reference import ModelReference
from lightship.serving.settings import ServingSettings
from lightship.serving.store import PredictionRecord, PredictionStore

log = logging.getLogger(__name__)


def _in_worker(nice: int) -> Callable[[Bundle, RuntimeOptions], Any]:
    """``serve.shadow.isolation=thread``: the challenger's session lives in the worker (the mirror thread carries the niceness)."""
    return open_in_process


def _in_own_process(nice: int) -> Callable[[Bundle, RuntimeOptions], Any]:
    """``serve.shadow.isolation=process``: each challenger version gets a child process at niceness ``nice``."""
    from lightship.inference.runtime_process import RuntimeProcess

    return lambda bundle, options: RuntimeProcess(bundle, options.load_kwargs(), nice)


# serve.shadow.isolation -> how a challenger's bundle becomes its runtime.
RUNTIME_OPENERS: dict[str, Callable[[int], Callable[[Bundle, RuntimeOptions], Any]]] = {"thread": _in_worker, "process": _in_own_process}


@dataclass
class Mirrored:
    """Champion-scored items waiting for the challenger: their raw inputs and the champion's records."""

    inputs: list[Any]
    records: list[PredictionRecord]


class ShadowMirror:
    """The challenger of one worker: its holder, the bounded mirror queue and the thread that drains it."""

    def __init__(self, settings: ServingSettings, store: PredictionStore, champion: ModelHolder) -> None:
        from lightship.serving.shadow_metrics import ShadowMetrics

        serve, tracking = settings.serve, settings.cfg.tracking
        self.config, self.store, self.champion = serve.shadow, store, champion
        self.max_batch_size, self.max_batch_tokens = int(serve.max_batch_size), int(serve.max_batch_tokens)
        name, alias = str(settings.reference.name or tracking.model_name), str(tracking.challenger_alias)
        reference = ModelReference(f"models:/{name}@{alias}", name=name, alias=alias)
        options = replace(RuntimeOptions.from_serve(serve), intra_op_threads=int(serve.shadow.intra_op_threads))
        self.metrics = ShadowMetrics()
        self.holder = ModelHolder(reference, settings.tracking_uri, options, list(serve.smoke_texts), on_outcome=self._on_outcome,
                                  requests_from=lambda: champion.current, release_when_unset=True,
                                  open_runtime=RUNTIME_OPENERS[serve.shadow.isolation.value](int(serve.shadow.nice)))
        self.queue: queue.Queue[Mirrored] = queue.Queue(maxsize=int(serve.shadow.queue_size))
        self.counts = {"mirrored": 0, "dropped": 0, "failed": 0}  # this worker's, for GET /model
        self._random = random.Random(os.getpid())
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self, watch_interval_s: float) -> "ShadowMirror":
        """Load the challenger if its alias is set (a failure is reported, never raised), start the mirror thread and the watcher."""
        self.holder.refresh("shadow start")
        self._thread = threading.Thread(target=self._drain, name="lightship-shadow", daemon=True)
        self._thread.start()
        if watch_interval_s > 0:
            self.holder.watch(watch_interval_s)
        return self

    def stop(self) -> None:
        """Stop the mirror thread and the watcher, then release the challenger (its runtime process ends)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.holder.stop(release=True)

    # -- the request path: sample and enqueue, nothing else ------------------------------
    def offer(self, inputs: Sequence[Any], records: Sequence[PredictionRecord]) -> None:
        """Queue the sampled share of a scored batch for the challenger; drop it (counted) when the queue is full."""
        if self.holder.current is None:
            return
        fraction = float(self.config.fraction)
        chosen = [i for i in range(len(records)) if fraction >= 1.0 or self._random.random() < fraction]
        if not chosen:
            return
        try:
            self.queue.put_nowait(Mirrored([inputs[i] for i in chosen], [records[i] for i in chosen]))
        except queue.Full:
            self._count("dropped", len(chosen))

    # -- the mirror thread ----------------------------------------------------------------
    def _lower_priority(self) -> None:
        """Add ``serve.shadow.nice`` to this thread's niceness: on a busy worker the champion's threads get the cores first.

        On Linux the nice value is per thread. With ``serve.shadow.isolation=thread`` and
        ``serve.shadow.intra_op_threads=1`` the challenger's whole run (tokens, graph, store) happens in
        this thread; with ``process`` the child runs the model at its own niceness and this thread only
        hands batches over and stores the answers. Elsewhere, or where the system refuses, the thread
        keeps the worker's priority and the log says so.
        """
        increment = int(self.config.nice)
        if increment <= 0:
            return
        try:
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, min(os.getpriority(os.PRIO_PROCESS, thread) + increment, 19))
        except (AttributeError, OSError) as exc:
            log.warning("shadow: the mirror thread keeps the worker's priority (serve.shadow.nice=%d not applied: %s)", increment, exc)

    def _drain(self) -> None:
        self._lower_priority()
        gather_s = float(self.config.gather_ms) / 1000.0
        while not self._stop.is_set():
            try:
                first = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            batch, rows = [first], len(first.records)
            deadline = time.monotonic() + gather_s
            while rows < self.max_batch_size:  # what is mirrored meanwhile joins this run: bigger runs cost less per item
                try:
                    batch.append(self.queue.get(timeout=max(deadline - time.monotonic(), 0.0)))
                except queue.Empty:
                    break
                rows += len(batch[-1].records)
            self._score([item for part in batch for item in part.inputs], [record for part in batch for record in part.records])

    def _score(self, inputs: list[Any], champion_records: list[PredictionRecord]) -> None:
        model = self.holder.current  # one model for the whole batch, even if a swap lands meanwhile
        if model is None:
            return
        started = time.perf_counter()
        try:
            scored = score(model.runtime, inputs, self.max_batch_size, self.max_batch_tokens)
            seconds = time.perf_counter() - started
            self.store.record_shadow([
                PredictionRecord(record.id, None, record.text_chars, item.tokens, record.truncated, item.label, item.confidence,
                                 item.probabilities, model.name, model.version)
                for record, item in zip(champion_records, scored.items)
            ])
        except Exception as exc:  # a challenger that cannot score is the challenger's problem, never the caller's
            log.error("shadow: version %s failed on %d mirrored items: %s", model.version, len(inputs), exc)
            self._count("failed", len(inputs))
            return
        self.metrics.latency.observe(seconds)
        self._count("mirrored", len(inputs))

    def _count(self, outcome: str, n: int) -> None:
        self.counts[outcome] += n
        self.metrics.requests.labels(outcome).inc(n)

    def _on_outcome(self, outcome: SwapOutcome) -> None:
        if outcome.outcome in ("swapped", "failed", "released"):
            self.metrics.loads.labels(outcome.outcome).inc()
        current = self.holder.current
        self.metrics.holding(current.version if current else None)

    # -- what the service reports ----------------------------------------------------------
    def versions(self) -> Optional[dict[str, str]]:
        """``{"champion": ..., "challenger": ...}`` of the models now held, or None without both."""
        champion, challenger = self.champion.current, self.holder.current
        if champion is None or challenger is None:
            return None
        return {"champion": champion.version, "challenger": challenger.version}

    def _high_risk_label(self) -> Optional[str]:
        """The champion's high-risk class (the one its bundle names), scored for both versions."""
        champion: Optional[LoadedModel] = self.champion.current
        return champion.resolved.bundle.manifest.get("high_risk_label") if champion else None

    def paired_counts(self) -> Optional[PairedCounts]:
        versions = self.versions()
        if versions is None:
            return None
        return PairedCounts.of(self.store.shadow_counts(versions["champion"], versions["challenger"]))

    def describe(self) -> Optional[dict[str, Any]]:
        """The ``shadow`` object of ``GET /model``; None while no challenger was ever loaded or tried, or after its alias was removed."""
        challenger, failed, last = self.holder.current, self.holder.failed_version, self.holder.last_outcome
        if challenger is None and (last is None or last.outcome == "released"):
            return None
        counts, high_risk = self.paired_counts(), self._high_risk_label()
        answer: dict[str, Any] = {
            "alias": self.holder.reference.alias,
            "version": challenger.version if challenger else None,
            "loaded_at": challenger.loaded_at if challenger else None,
            "failed_version": failed,
            "last_load": last.to_dict() if last else None,
            "fraction": float(self.config.fraction),
            "isolation": self.config.isolation.value,
            "agreement": counts.agreement if counts else None,
            "pairs": counts.pairs if counts else 0,
            "labelled": counts.labelled if counts else 0,
            "worker": dict(self.counts, queued=self.queue.qsize()),
        }
        if counts is not None:
            only_champion, only_challenger = counts.discordant()
            answer.update(
                accuracy={"champion": counts.accuracy(CHAMPION), "challenger": counts.accuracy(CHALLENGER)},
                high_risk_recall={"label": high_risk, "champion": counts.recall(CHAMPION, high_risk) if high_risk else None,
                                  "challenger": counts.recall(CHALLENGER, high_risk) if high_risk else None},
                discordant={"champion_only_right": only_champion, "challenger_only_right": only_challenger},
            )
        return answer

    def metrics_text(self) -> str:
        """Scrape-time ``lightship_shadow_*`` families (empty without a challenger)."""
        from prometheus_client import CollectorRegistry, generate_latest

        from lightship.serving.shadow_metrics import shadow_families

        counts, versions = self.paired_counts(), self.versions()
        if counts is None or versions is None:
            return ""
        high_risk = self._high_risk_label()

        class _Collector:
            def collect(self) -> Any:
                yield from shadow_families(counts, versions, high_risk)

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector())
        return generate_latest(registry).decode("utf-8")
