"""The built-in, seeded support-ticket stream with a rare high-risk class and drift knobs.

Tickets are short e-mails: an opener, one or two intent sentences (now and then one
borrowed from another class, as real tickets mix topics), and a closer; a small share of
labels is flipped (``label_noise``). After the change point (``drift.start``) the stream
can move in three ways, alone or together: new vocabulary for the same intents
(``vocab_shift``), a new class mix (``class_mix_shift``) and a new label
(``new_category``). ``drift.kind`` shapes the change over time: ``sudden`` (a step),
``gradual`` (a linear ramp over a fifth of the span) or ``recurring`` (on and off with
``drift.period``).

Example::

    >>> frame, _ = SyntheticTickets(n_rows=200, seed=1).load()
    >>> sorted(frame.columns)
    ['label', 'text', 'time']
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np
import pandas as pd

from lightship.data import synthetic_vocabulary as vocab
from lightship.data.source import DataSource
from lightship.data.splits import LABEL, TEXT, TIME

_BORROW_PROBABILITY = 0.2
_GRADUAL_RAMP = 0.2


def _kind_name(kind: Any) -> str:
    return getattr(kind, "value", kind)


def drift_intensity(position: np.ndarray, kind: str, start: float, period: float) -> np.ndarray:
    """How far the stream has moved (0..1) at each relative position (0..1) in time."""
    after = position >= start
    if kind == "sudden":
        return after.astype(float)
    if kind == "gradual":
        return np.clip((position - start) / _GRADUAL_RAMP, 0.0, 1.0)
    if kind == "recurring":
        phase = np.floor((position - start) / max(period, 1e-9)).astype(int)
        return (after & (phase % 2 == 0)).astype(float)
    return np.zeros_like(position, dtype=float)


class SyntheticTickets(DataSource):
    """``data=synthetic``: see the module docstring for the knobs."""

    def __init__(
        self,
        n_rows: int = 6000,
        start_date: str = "2026-01-01",
        days: int = 120,
        label_noise: float = 0.02,
        drift: Optional[Mapping[str, Any]] = None,
        high_risk_label: Optional[str] = "fraud",
        **common: Any,
    ) -> None:
        super().__init__(high_risk_label=high_risk_label, **common)
        self.n_rows = n_rows
        self.start_date = start_date
        self.days = days
        self.label_noise = label_noise
        self.drift = dict(drift or {})

    @property
    def description(self) -> str:
        return f"synthetic tickets (seed={self.seed}, rows={self.n_rows}, drift={_kind_name(self.drift.get('kind', 'none'))})"

    @property
    def change_point(self) -> Optional[pd.Timestamp]:
        """When the stream first changes (``drift.start`` of the span), or None without drift."""
        if _kind_name(self.drift.get("kind", "none")) == "none":
            return None
        return pd.Timestamp(self.start_date) + pd.Timedelta(days=float(self.drift.get("start", 0.5)) * self.days)

    def _fill(self, template: str, rng: np.random.Generator) -> str:
        slots = {key: values[rng.integers(len(values))] for key, values in vocab.SLOTS.items()}
        return template.format(**slots)

    def _pick(self, pool: list[str], rng: np.random.Generator) -> str:
        return self._fill(pool[rng.integers(len(pool))], rng)

    def _ticket(self, label: str, shifted: bool, rng: np.random.Generator) -> str:
        pools = vocab.SHIFTED if shifted else vocab.BASE
        own = vocab.NEW_CATEGORY if label not in vocab.BASE else pools[label]
        sentences = [self._pick(own, rng)]
        if rng.random() < 0.5:
            sentences.append(self._pick(own, rng))
        if rng.random() < _BORROW_PROBABILITY:
            other = list(vocab.BASE)[rng.integers(len(vocab.BASE))]
            sentences.insert(int(rng.integers(2)), self._pick(vocab.BASE[other], rng))
        body = ". ".join(sentence[0].upper() + sentence[1:] for sentence in sentences) + "."
        parts = [self._pick(vocab.OPENERS, rng), body, self._pick(vocab.CLOSERS, rng)]
        return " ".join(part for part in parts if part)

    def load(self) -> tuple[pd.DataFrame, dict]:
        """Generate the stream: one row per ticket, sorted by time."""
        rng = np.random.default_rng(self.seed)
        position = np.sort(rng.random(self.n_rows))
        intensity = drift_intensity(
            position,
            _kind_name(self.drift.get("kind", "none")),
            float(self.drift.get("start", 0.5)),
            float(self.drift.get("period", 0.25)),
        )
        names = list(vocab.BASE_PRIORS)
        base = np.array([vocab.BASE_PRIORS[name] for name in names])
        shifted = np.array([vocab.SHIFTED_PRIORS[name] for name in names])
        mix = float(self.drift.get("class_mix_shift", 0.0))
        vocab_shift = float(self.drift.get("vocab_shift", 0.0))
        new_label = self.drift.get("new_category_label", "outage") if self.drift.get("new_category") else None

        texts, labels = [], []
        for level in intensity:
            priors = (1 - mix * level) * base + mix * level * shifted
            label = names[rng.choice(len(names), p=priors / priors.sum())]
            if new_label and level > 0 and rng.random() < 0.12 * level:
                label = new_label
            texts.append(self._ticket(label, shifted=rng.random() < vocab_shift * level, rng=rng))
            if rng.random() < self.label_noise:
                label = names[rng.integers(len(names))]
            labels.append(label)
        start = pd.Timestamp(self.start_date)
        times = start + pd.to_timedelta(position * self.days, unit="D")
        frame = pd.DataFrame({TEXT: texts, LABEL: labels, TIME: times.round("s")})
        return frame, {"generated_rows": self.n_rows}
