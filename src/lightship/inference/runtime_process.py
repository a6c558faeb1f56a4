"""A runtime in a child process: the same scoring, outside the caller's interpreter and at a lower CPU priority.

:class:`RuntimeProcess` opens a bundle with :func:`lightship.inference.load_runtime` in a
spawned child and forwards ``score``, ``predict`` and ``smoke_inputs`` to it over a pipe, so it
stands wherever a runtime does (a :class:`lightship.serving.holder.ModelHolder` loads, smoke-checks
and hot-swaps it like any other). What it buys: the child's tokenizing, graph runs and
post-processing never hold the caller's GIL, and the child runs at the niceness it is given from
its first instruction (every thread ORT starts inherits it). A niced thread in the caller's own
process can still hold the GIL while the scheduler leaves it waiting, and every thread of the
caller then waits with it. The shadow challenger (``serve.shadow.isolation=process``) runs here.

The child exits when the pipe closes (:meth:`RuntimeProcess.close`, or the caller dying), so it
never outlives the worker that started it. A call the child cannot answer within
``call_timeout_s`` (a hung or dead child) raises in the caller and ends the child; the next call
starts a new child from the same bundle folder (the caller keeps it on disk while the model
serves), logged and counted in ``restarts``.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Optional, Sequence

from lightship.bundle import Bundle
from lightship.errors import LightshipError

log = logging.getLogger(__name__)

# What the caller may ask of the child's runtime (nothing else crosses the pipe).
_METHODS = ("score", "predict", "smoke_inputs")


def _answer(runtime: Any, method: str, args: tuple) -> Any:
    """Call ``method`` on the child's runtime; a scored batch loses the arrays only the live drift monitor reads."""
    from lightship.inference.scoring import ScoredBatch

    result = getattr(runtime, method)(*args)
    if isinstance(result, ScoredBatch):  # raw outputs would cost a copy through the pipe for nothing
        return ScoredBatch(result.items, result.rows, result.padded_tokens, result.seconds, model_batches=result.model_batches,
                           unseen=result.unseen)
    return result


def _serve(conn: Any, folder: str, options: dict[str, Any], nice: int) -> None:
    """The child: lower its priority, open the runtime, then answer calls until the pipe closes."""
    if nice > 0:
        try:
            os.nice(nice)
        except (AttributeError, OSError) as exc:  # no os.nice here, or refused: runs at the parent's priority, the parent's log says so
            conn.send(("warning", f"niceness {nice} not applied: {exc}"))
    try:
        from lightship.inference import load_runtime

        runtime = load_runtime(folder, **options)
        conn.send(("ready", {"labels": list(runtime.labels), "input_spec": runtime.input_spec, "provider_in_use": runtime.provider_in_use,
                             "fell_back": runtime.fell_back, "fallback_reason": runtime.fallback_reason, "pid": os.getpid()}))
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            method, args = conn.recv()
        except (EOFError, OSError):  # the caller closed the pipe or is gone
            return
        try:
            conn.send(("ok", _answer(runtime, method, args)))
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class RuntimeProcess:
    """A runtime served by a child process; ``options`` are :func:`~lightship.inference.load_runtime`'s keyword options."""

    def __init__(self, bundle: Bundle, options: dict[str, Any], nice: int = 0, start_timeout_s: float = 120.0,
                 call_timeout_s: float = 60.0) -> None:
        self.bundle, self.options, self.nice = bundle, options, int(nice)
        self.start_timeout_s, self.call_timeout_s = start_timeout_s, call_timeout_s
        self._lock = threading.Lock()  # one call at a time on the pipe (the mirror thread and a load's smoke check)
        self.restarts, self._closed = 0, False
        payload = self._start()
        self.labels: list[str] = payload["labels"]
        self.input_spec: dict[str, Any] = payload["input_spec"]
        self.provider_in_use: str = payload["provider_in_use"]
        self.fell_back: bool = payload["fell_back"]
        self.fallback_reason: Optional[str] = payload["fallback_reason"]

    def _start(self) -> dict[str, Any]:
        """Spawn the child and wait until it has opened the bundle; returns what it reports of the runtime."""
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # never fork a server with threads (and ORT sessions) running
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, str(self.bundle.path), self.options, self.nice),
                                        name=f"lightship-runtime-{self.bundle.path.name}", daemon=True)
        self._process.start()
        child.close()
        kind, payload = self._receive(self.start_timeout_s, "open the bundle")
        while kind == "warning":
            log.warning("runtime process %s: %s", self._process.pid, payload)
            kind, payload = self._receive(self.start_timeout_s, "open the bundle")
        if kind != "ready":
            self._end()
            raise LightshipError(f"{self.bundle.path}: the runtime process could not open the bundle: {payload}")
        self.pid: int = payload["pid"]
        return payload

    def _receive(self, timeout_s: float, doing: str) -> tuple[str, Any]:
        if not self._conn.poll(timeout_s):
            code = self._process.exitcode
            self._end()
            state = f"exited with code {code}" if code is not None else f"did not answer within {timeout_s:.0f} s and was ended"
            raise LightshipError(f"runtime process {self._process.pid} {state} while asked to {doing}")
        try:
            return self._conn.recv()
        except (EOFError, OSError) as exc:
            self._end()
            raise LightshipError(f"runtime process {self._process.pid} exited (code {self._process.exitcode}) while asked to {doing}") from exc

    def _call(self, method: str, *args: Any) -> Any:
        assert method in _METHODS
        with self._lock:
            if self._closed:
                raise LightshipError(f"runtime process {self._process.pid} is not running: it was closed")
            if not self._process.is_alive():  # died (killed, out of memory): the bundle is still on disk, start it again
                log.warning("runtime process %s for %s ended (exit code %s); starting it again", self._process.pid, self.bundle.path,
                            self._process.exitcode)
                self._end()
                self._start()
                self.restarts += 1
            try:
                self._conn.send((method, args))
            except OSError as exc:  # died between the check and the call
                self._end()
                raise LightshipError(f"runtime process {self._process.pid} exited (code {self._process.exitcode}) while asked to {method}") from exc
            kind, payload = self._receive(self.call_timeout_s, method)
        if kind != "ok":
            raise LightshipError(f"runtime process {self._process.pid}: {method} failed: {payload}")
        return payload

    # -- the runtime interface the holder and the scorers use ------------------------------
    def score(self, inputs: Sequence[Any], max_rows: Optional[int] = None, max_tokens: Optional[int] = None) -> Any:
        return self._call("score", list(inputs), max_rows, max_tokens)

    def predict(self, inputs: Sequence[Any], batch_size: int = 64) -> Any:
        return self._call("predict", list(inputs), batch_size)

    def smoke_inputs(self, configured_texts: Sequence[str]) -> list[Any]:
        return self._call("smoke_inputs", list(configured_texts))

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def close(self) -> None:
        """End the child for good: close the pipe (it exits on its own), then make sure."""
        with self._lock:
            self._closed = True
            self._end()

    def _end(self) -> None:
        self._conn.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)
