"""Data pipelines: the built-in synthetic stream and the user's text files, split for training."""
