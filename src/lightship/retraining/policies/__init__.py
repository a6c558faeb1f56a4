"""Retraining policies, one per module, behind :class:`RetrainPolicy` (``conf/retrain/*.yaml``)."""

from lightship.retraining.policies.base import RetrainPolicy
from lightship.retraining.policies.drift_triggered import DriftTriggeredPolicy
from lightship.retraining.policies.never import NeverPolicy
from lightship.retraining.policies.online import OnlinePolicy
from lightship.retraining.policies.periodic import PeriodicPolicy

__all__ = ["DriftTriggeredPolicy", "NeverPolicy", "OnlinePolicy", "PeriodicPolicy", "RetrainPolicy"]
