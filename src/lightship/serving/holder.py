"""The model in service and its hot swap.

A request takes ``holder.current`` once and uses that object to the end, so replacing
the reference (one attribute assignment, atomic in Python) never affects a request in
flight. A candidate is loaded and smoke-predicted off the request path; only a candidate
that passes replaces the current model. A failure leaves the old model serving, is
logged with its reason and counted (``lightship_model_swaps_total{outcome="failed"}``).
The failed version is remembered: the watcher does not load it again (each try costs a
download and a session build on the serving process) until the alias moves; a reload
request (``POST /reload``) tries it again on purpose.
A candidate whose input kind or schema differs from the serving model's (see
:func:`lightship.inference.request_signature`) is refused the same way: clients send
requests shaped for the model in service, so such a change needs a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

from lightship.bundle import Bundle
from lightship.serving.reference import ModelReference, ResolvedModel, current_version, fetch
from lightship.inference import load_runtime, request_signature
from lightship.inference.runtime import CUDA

log = logging.getLogger(__name__)


@dataclass
class RuntimeOptions:
    provider: str = "cpu"
    intra_op_threads: int = 0
    inter_op_threads: int = 0
    io_binding: bool = False
    precision: str = "fp32"
    allow_spinning: bool = True

    @classmethod
    def from_serve(cls, serve: Any) -> "RuntimeOptions":
        """The options of a ``serve`` config group."""
        return cls(serve.provider.value, serve.intra_op_threads, serve.inter_op_threads, serve.io_binding, serve.precision.value,
                   serve.allow_spinning)

    def load_kwargs(self) -> dict[str, Any]:
        """These options as :func:`lightship.inference.load_runtime` takes them."""
        return {"provider": self.provider, "intra_op_threads": self.intra_op_threads, "inter_op_threads": self.inter_op_threads,
                "io_binding": self.io_binding, "precision": self.precision, "allow_spinning": self.allow_spinning}


def open_in_process(bundle: Bundle, options: RuntimeOptions) -> Any:
    """The runtime of ``bundle`` in this process (how the champion is served)."""
    return load_runtime(bundle, **options.load_kwargs())


@dataclass
class LoadedModel:
    runtime: Any
    resolved: ResolvedModel
    loaded_at: float = field(default_factory=time.time)

    @property
    def version(self) -> str:
        return self.resolved.version

    @property
    def name(self) -> str:
        return str(self.resolved.identity.get("name") or "")

    @property
    def labels(self) -> list[str]:
        return self.runtime.labels

    def release(self) -> None:
        """Close the runtime (ends a runtime process) and remove the downloaded copy."""
        self.runtime.close()
        self.resolved.release()


@dataclass
class SwapOutcome:
    outcome: str  # "unchanged", "swapped", "failed" or "released" (alias removed, release_when_unset)
    version: Optional[str]
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "version": self.version, "reason": self.reason}


def smoke_check(runtime: Any, inputs: Sequence[Any]) -> None:
    """Raise unless the model returns finite probabilities over its labels that sum to one."""
    probabilities = runtime.predict(list(inputs)).probabilities
    expected = (len(inputs), len(runtime.labels))
    if probabilities.shape != expected:
        raise ValueError(f"smoke prediction has shape {probabilities.shape}, expected {expected}")
    if not np.isfinite(probabilities).all() or not np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError("smoke prediction is not a finite probability distribution")


class ModelHolder:
    """Loads the referenced model, keeps the current one, swaps in new versions of an alias."""

    def __init__(
        self,
        reference: ModelReference,
        tracking_uri: str,
        options: RuntimeOptions,
        smoke_texts: Sequence[str],
        on_change: Callable[[LoadedModel], None] = lambda model: None,
        on_outcome: Callable[[SwapOutcome], None] = lambda outcome: None,
        requests_from: Optional[Callable[[], Optional[LoadedModel]]] = None,
        release_when_unset: bool = False,
        open_runtime: Callable[[Bundle, RuntimeOptions], Any] = open_in_process,
    ) -> None:
        """``requests_from``: the model whose requests a new version must accept (default: the one this holder serves;
        a shadow holder names the champion's). ``release_when_unset``: drop the model when its alias is removed
        (a retired challenger) instead of serving on. ``open_runtime``: how a fetched bundle becomes a runtime (in this
        process, or a :class:`~lightship.inference.runtime_process.RuntimeProcess` for a shadow in its own process)."""
        self.reference, self.tracking_uri, self.options = reference, tracking_uri, options
        self.smoke_texts = list(smoke_texts)
        self.on_change, self.on_outcome = on_change, on_outcome
        self.requests_from = requests_from or (lambda: self.current)
        self.release_when_unset = release_when_unset
        self.open_runtime = open_runtime
        self.current: Optional[LoadedModel] = None
        self.last_outcome: Optional[SwapOutcome] = None
        self.failed_version: Optional[str] = None  # the last version that failed to load, not retried by the watcher
        self._swap_lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: Optional[threading.Thread] = None

    def load(self, version: Optional[str] = None) -> LoadedModel:
        """Fetch, open and smoke-check a model; raises on any failure (nothing is swapped here)."""
        resolved = fetch(self.reference, self.tracking_uri, version)
        runtime = None
        try:
            runtime = self.open_runtime(resolved.bundle, self.options)
            smoke_check(runtime, runtime.smoke_inputs(self.smoke_texts))
        except Exception:
            if runtime is not None:
                runtime.close()
            resolved.release()
            raise
        return LoadedModel(runtime, resolved)

    def start(self) -> LoadedModel:
        """Load the initial model (blocking: the worker is not ready before it)."""
        self._install(self.load())
        assert self.current is not None
        return self.current

    def refresh(self, trigger: str, retry_failed: bool = False) -> SwapOutcome:
        """Load the version the reference names now if it differs from the one serving; swap on success.

        A version that failed before is skipped until the reference names another one, unless ``retry_failed``.
        """
        with self._swap_lock:
            serving = self.current.version if self.current else None
            try:
                wanted = current_version(self.reference, self.tracking_uri)
            except Exception as exc:  # tracking store unreachable: keep serving
                return self._report(SwapOutcome("failed", serving, f"cannot read {self.reference.text}: {exc}"), trigger)
            if wanted != self.failed_version:
                self.failed_version = None  # the alias moved: an earlier failure says nothing about this version
            if wanted is None and serving is not None and self.release_when_unset:
                previous, self.current = self.current, None
                assert previous is not None
                previous.release()
                return self._report(SwapOutcome("released", None, f"{self.reference.text} is unset: version {serving} released"), trigger)
            if wanted is None or wanted == serving:
                return SwapOutcome("unchanged", serving)
            if wanted == self.failed_version and not retry_failed:
                return SwapOutcome("unchanged", serving, f"version {wanted} failed to load before; waiting for the alias to move")
            log.info("%s: %s now names version %s (serving %s); loading it", trigger, self.reference.text, wanted, serving)
            try:
                candidate = self.load(wanted)
            except Exception as exc:
                self.failed_version = wanted
                return self._report(SwapOutcome("failed", wanted, f"version {wanted} failed to load or pass the smoke prediction: {exc}"), trigger)
            refusal = self._input_change(candidate)
            if refusal:
                candidate.release()
                self.failed_version = wanted
                return self._report(SwapOutcome("failed", wanted, refusal), trigger)
            self._install(candidate)
            return self._report(SwapOutcome("swapped", wanted, f"serving version {wanted} (was {serving})"), trigger)

    def _input_change(self, candidate: LoadedModel) -> str:
        """Why ``candidate`` may not replace the serving model (its requests would differ), or ``""``."""
        reference = self.requests_from()
        if reference is None:
            return ""
        old, new = request_signature(reference.runtime.input_spec), request_signature(candidate.runtime.input_spec)
        if old == new:
            return ""
        return (f"version {candidate.version} takes {new[0]} inputs {list(new[1]) or ''} but version {reference.version} in service "
                f"takes {old[0]} inputs {list(old[1]) or ''}: a hot swap across input kinds or schemas is refused; restart the "
                "service to serve it")

    def _install(self, model: LoadedModel) -> None:
        previous, self.current = self.current, model
        self.on_change(model)
        if previous is not None:
            previous.release()

    def _report(self, outcome: SwapOutcome, trigger: str) -> SwapOutcome:
        self.last_outcome = outcome
        (log.error if outcome.outcome == "failed" else log.info)("%s: %s; %s", trigger, outcome.outcome, outcome.reason)
        self.on_outcome(outcome)
        return outcome

    @property
    def on_gpu(self) -> bool:
        return self.current is not None and self.current.runtime.provider_in_use == CUDA

    # -- the watcher ---------------------------------------------------------------------
    def watch(self, interval_s: float, poke: Callable[[], bool] = lambda: False, tick_s: float = 1.0) -> None:
        """Poll the alias every ``interval_s`` (and whenever ``poke()`` says so) in a daemon thread."""
        if self._watcher is not None:
            return

        def loop() -> None:
            next_check = time.monotonic() + interval_s
            while not self._stop.wait(min(tick_s, interval_s)):
                poked = poke()
                if poked or time.monotonic() >= next_check:
                    self.refresh("reload request" if poked else "alias watcher", retry_failed=poked)
                    next_check = time.monotonic() + interval_s

        self._watcher = threading.Thread(target=loop, name="lightship-alias-watcher", daemon=True)
        self._watcher.start()

    def stop(self, release: bool = False) -> None:
        """Stop the watcher; ``release`` also lets go of the model held (a shadow's runtime process ends with it)."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None
        if release:
            with self._swap_lock:
                previous, self.current = self.current, None
            if previous is not None:
                previous.release()
