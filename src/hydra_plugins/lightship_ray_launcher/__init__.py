"""``hydra/launcher=ray``: a sweep's jobs as Ray tasks (see :mod:`.ray_launcher`)."""
