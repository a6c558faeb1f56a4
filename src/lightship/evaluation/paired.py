"""Two classifiers on the same requests: agreement, each one's accuracy and recall, and the exact McNemar test.

The counts come grouped by (champion label, challenger label, true label or ``None`` before
feedback), as :meth:`lightship.serving.store.PredictionStore.shadow_counts` returns them, so the
service's metrics and the promotion decision read the same figures from the same query.

Example::

    >>> counts = PairedCounts.of([("a", "a", "a", 6), ("a", "b", "a", 3), ("b", "a", "a", 1), ("a", "b", None, 2)])
    >>> counts.pairs, counts.labelled, counts.discordant()
    (12, 10, (3, 1))
    >>> round(counts.agreement, 3), counts.accuracy(CHAMPION), counts.accuracy(CHALLENGER)
    (0.5, 0.9, 0.7)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

CHAMPION, CHALLENGER = 0, 1
ROLES = {"champion": CHAMPION, "challenger": CHALLENGER}


@dataclass(frozen=True)
class PairedCounts:
    cells: tuple[tuple[str, str, Optional[str], int], ...]

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str, Optional[str], int]]) -> "PairedCounts":
        return cls(tuple((str(a), str(b), None if t is None else str(t), int(n)) for a, b, t, n in rows))

    @property
    def pairs(self) -> int:
        """Requests both versions answered."""
        return sum(n for *_, n in self.cells)

    @property
    def labelled(self) -> int:
        """Of those, the ones with a true label (feedback)."""
        return sum(n for _, _, true, n in self.cells if true is not None)

    @property
    def agreement(self) -> Optional[float]:
        """Share of the pairs where both versions predicted the same label (None before any pair)."""
        same = sum(n for a, b, _, n in self.cells if a == b)
        return same / self.pairs if self.pairs else None

    def confusion(self) -> dict[tuple[str, str], int]:
        """Pairs counted by (champion label, challenger label)."""
        table: dict[tuple[str, str], int] = {}
        for a, b, _, n in self.cells:
            table[(a, b)] = table.get((a, b), 0) + n
        return table

    def accuracy(self, role: int) -> Optional[float]:
        """Accuracy of one version (``CHAMPION`` or ``CHALLENGER``) on the labelled pairs."""
        right = sum(n for *predicted, true, n in self.cells if true is not None and predicted[role] == true)
        return right / self.labelled if self.labelled else None

    def recall(self, role: int, label: str) -> Optional[float]:
        """Recall of ``label`` for one version on the labelled pairs (None without support)."""
        support = self.support(label)
        found = sum(n for *predicted, true, n in self.cells if true == label and predicted[role] == label)
        return found / support if support else None

    def support(self, label: str) -> int:
        return sum(n for _, _, true, n in self.cells if true == label)

    def discordant(self) -> tuple[int, int]:
        """McNemar's discordant pairs: (champion right and challenger wrong, champion wrong and challenger right)."""
        only_champion = sum(n for a, b, true, n in self.cells if true is not None and a == true and b != true)
        only_challenger = sum(n for a, b, true, n in self.cells if true is not None and a != true and b == true)
        return only_champion, only_challenger

    def p_challenger_worse(self) -> float:
        """One-sided exact McNemar p-value of "the challenger errs more often than the champion".

        Under the null, each discordant pair is the champion's win with probability 1/2
        (``scipy.stats.binomtest`` on the discordant pairs); 1.0 when there is none.
        """
        from scipy.stats import binomtest

        only_champion, only_challenger = self.discordant()
        if only_champion + only_challenger == 0:
            return 1.0
        return float(binomtest(only_champion, only_champion + only_challenger, 0.5, alternative="greater").pvalue)
