"""Promotion on live evidence: promote, retire or keep the challenger from the requests both versions answered.

With ``retrain.shadow=true`` a retrained version that passes the gates waits under
``@<tracking.challenger_alias>`` and the service answers a copy of the traffic with it
(:mod:`lightship.serving.shadow`). ``task=promote`` (or the next ``task=retrain``) reads, from the
live store (``serve.store_path``), the labelled requests that the current champion and the
challenger both answered, and decides:

- **retire** when the challenger did not pass the gates, or when it is significantly worse:
  one-sided exact McNemar test on the discordant pairs (``scipy.stats.binomtest``),
  p < ``retrain.shadow_alpha``; the alias is cleared and the version tagged ``retired``;
- **wait** while fewer than ``retrain.shadow_min_labelled`` labelled pairs exist;
- **promote** otherwise (enough evidence and not worse): the challenger becomes the champion
  and the challenger alias is cleared.

Every decision goes, with its numbers and reason, to the JSON-lines decision log and to an
MLflow run (tags ``lightship.decision``, ``lightship.reason``; the numbers as metrics).
The test is repeated at each run on a growing sample, so its level holds per look, not over
all looks; ``shadow_min_labelled`` is what keeps an early, lucky promotion out.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf

from lightship.evaluation.paired import CHALLENGER, CHAMPION, PairedCounts

log = logging.getLogger(__name__)


class Verdict(str, Enum):
    promote = "promote"
    retire = "retire"
    wait = "wait"
    none = "none"  # nothing under the challenger alias, or no champion to compare it with


@dataclass(frozen=True)
class LiveEvidence:
    """The figures a decision rests on: the version pair and their paired results on the labelled overlap."""

    champion_version: Optional[str]
    challenger_version: Optional[str]
    pairs: int = 0
    labelled: int = 0
    agreement: Optional[float] = None
    champion_accuracy: Optional[float] = None
    challenger_accuracy: Optional[float] = None
    high_risk_label: Optional[str] = None
    champion_high_risk_recall: Optional[float] = None
    challenger_high_risk_recall: Optional[float] = None
    champion_only_right: int = 0
    challenger_only_right: int = 0
    p_challenger_worse: float = 1.0

    @classmethod
    def of(cls, champion: str, challenger: str, counts: PairedCounts, high_risk_label: Optional[str]) -> "LiveEvidence":
        only_champion, only_challenger = counts.discordant()
        return cls(
            champion, challenger, counts.pairs, counts.labelled, counts.agreement, counts.accuracy(CHAMPION), counts.accuracy(CHALLENGER),
            high_risk_label,
            counts.recall(CHAMPION, high_risk_label) if high_risk_label else None,
            counts.recall(CHALLENGER, high_risk_label) if high_risk_label else None,
            only_champion, only_challenger, counts.p_challenger_worse(),
        )

    def numbers(self) -> dict[str, float]:
        """The numeric figures (MLflow metrics)."""
        return {key: float(value) for key, value in asdict(self).items() if isinstance(value, (int, float)) and not isinstance(value, bool)}


@dataclass(frozen=True)
class LiveDecision:
    verdict: Verdict
    reason: str
    evidence: LiveEvidence
    alpha: float
    min_labelled: int
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def to_dict(self) -> dict[str, Any]:
        return {"event": "live_evidence", "decision": self.verdict.value, "reason": self.reason, "at": self.at.isoformat(),
                "alpha": self.alpha, "min_labelled": self.min_labelled, **asdict(self.evidence)}


def decide(evidence: LiveEvidence, gates_passed: bool, gate_note: str, alpha: float, min_labelled: int) -> LiveDecision:
    """Promote, retire or wait (see the module docstring); pure, so seeded histories test it directly."""
    e = evidence
    shown = (f"{e.labelled} labelled pairs, champion v{e.champion_version} right alone {e.champion_only_right}, challenger "
             f"v{e.challenger_version} right alone {e.challenger_only_right}, exact McNemar p(challenger worse)={e.p_challenger_worse:.4g}")
    if not gates_passed:
        return LiveDecision(Verdict.retire, f"challenger v{e.challenger_version} did not pass the gates: {gate_note}", e, alpha, min_labelled)
    if e.p_challenger_worse < alpha:
        return LiveDecision(Verdict.retire, f"challenger is significantly worse on live traffic: {shown} < alpha={alpha}", e, alpha, min_labelled)
    if e.labelled < min_labelled:
        return LiveDecision(Verdict.wait, f"too little evidence: {e.labelled} labelled pairs < retrain.shadow_min_labelled={min_labelled} ({shown})",
                            e, alpha, min_labelled)
    return LiveDecision(Verdict.promote, f"challenger is not worse on live traffic: {shown} >= alpha={alpha}", e, alpha, min_labelled)


def gather(cfg: DictConfig, registry: Any) -> tuple[LiveEvidence, bool, str]:
    """The evidence for the current champion/challenger pair from ``serve.store_path``, and the challenger's gate status."""
    from lightship.serving.store import PredictionStore
    from lightship.tracking.registry import CHALLENGER as CHALLENGER_STATUS, TAG_REASON, TAG_STATUS

    champion, challenger = registry.champion_version(), registry.alias_version(str(cfg.tracking.challenger_alias))
    if champion is None or challenger is None:
        return LiveEvidence(champion, challenger), False, ""
    store_path = Path(cfg.serve.store_path)
    counts = PairedCounts(())
    if store_path.is_file():
        store = PredictionStore(store_path)
        try:
            counts = PairedCounts.of(store.shadow_counts(champion, challenger))
        finally:
            store.close()
    tags = registry.version_tags(challenger)
    high_risk = OmegaConf.select(cfg, "data.high_risk_label", default=None)
    return LiveEvidence.of(champion, challenger, counts, high_risk), tags.get(TAG_STATUS) == CHALLENGER_STATUS, str(tags.get(TAG_REASON, ""))


def settle(cfg: DictConfig, out: Path, task: str) -> dict[str, Any]:
    """Judge the challenger on live evidence and act (promote or retire), logging the decision; return it as a dict."""
    from lightship.retraining.decision import DecisionLog
    from lightship.tracking.registry import Registry
    from lightship.tracking.runs import RunRecorder
    from lightship.tracking.uri import resolve_tracking_uri

    uri = resolve_tracking_uri(cfg.tracking.uri)
    alias = str(cfg.tracking.challenger_alias)
    registry = Registry(uri, cfg.tracking.model_name, cfg.tracking.champion_alias)
    alpha, min_labelled = float(cfg.retrain.shadow_alpha), int(cfg.retrain.shadow_min_labelled)
    with registry.exclusive():  # no other writer moves either alias between the reading and the act
        evidence, gates_passed, gate_note = gather(cfg, registry)
        if evidence.challenger_version is None or evidence.champion_version is None:
            missing = f"no version under @{alias}" if evidence.challenger_version is None else f"no champion (@{cfg.tracking.champion_alias})"
            decision = LiveDecision(Verdict.none, f"nothing to judge: {missing}", evidence, alpha, min_labelled)
        else:
            decision = decide(evidence, gates_passed, gate_note, alpha, min_labelled)
        if decision.verdict is Verdict.promote:
            registry.promote_challenger(str(evidence.challenger_version), alias, f"promoted on live evidence: {decision.reason}")
        elif decision.verdict is Verdict.retire:
            registry.retire(str(evidence.challenger_version), alias, f"retired on live evidence: {decision.reason}")
    record = DecisionLog(out / cfg.retrain.decisions_log).write({**decision.to_dict(), "task": task, "store": str(cfg.serve.store_path)})
    log.info("live evidence: %s: %s", decision.verdict.value, decision.reason)
    recorder = RunRecorder(uri, cfg.tracking.experiment_name)
    recorder.start(run_name=f"{task}-live-evidence-{out.name}", tags={
        "lightship.task": task, "lightship.decision": decision.verdict.value, "lightship.reason": decision.reason[:5000],
        "lightship.champion_before": str(evidence.champion_version), "lightship.challenger_version": str(evidence.challenger_version),
        "lightship.output_dir": str(out),
    })
    with recorder.finishing():
        recorder.log_metrics({**evidence.numbers(), "alpha": alpha, "min_labelled": min_labelled})
    return record
