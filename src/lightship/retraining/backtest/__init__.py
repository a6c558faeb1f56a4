"""The backtest: replay a stream under a retraining policy and record what each window saw.

``engine`` runs the replay, ``learner`` carries out decisions, ``model`` is the in-memory
model and its detector, ``summary`` writes ``backtest.json``.
"""
