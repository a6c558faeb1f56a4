"""Retraining: when a new model is trained, how it is promoted, and what each cadence costs.

The pieces, one job per module:

- ``state``: :class:`RetrainState`, what a policy looks at (model age, drift events,
  labelled feedback since the last training).
- ``decision``: :class:`Decision` (action + reason) and the JSON-lines decision log.
- ``policies``: the strategies behind one protocol, one file each (``never``,
  ``periodic``, ``drift_triggered``, ``online``), chosen by ``conf/retrain/*.yaml``.
- ``sources``: reads the state in production (registry, drift events log, feedback store).
- ``challenger``: trains a challenger on the fresh window and promotes it through the gates.
- ``replay`` and ``incremental``: the online policy's bounded replay buffer and update.
- ``backtest``: replays a timestamped stream window by window under a policy.
- ``compare``: the multirun comparison table and plot (a Hydra callback).
"""
