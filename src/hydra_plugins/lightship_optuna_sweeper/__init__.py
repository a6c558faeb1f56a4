"""Hydra sweeper plugin: Optuna 4 (ask-and-tell) with a study stored on disk."""
