"""MLflow tracking and registry: runs, artifacts, model versions and the champion alias."""
