"""Sweeps: per-job rows and the leaderboard written when a multirun ends."""
