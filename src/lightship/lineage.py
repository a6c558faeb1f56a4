"""Lineage of a run: git commit, data fingerprint and the versions of the packages that matter."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path
from typing import Optional

PACKAGES = (
    "lightship", "torch", "transformers", "tokenizers", "pytorch-lightning", "onnx",
    "onnxruntime-gpu", "onnxruntime", "mlflow", "bentoml", "hydra-core", "numpy",
)


def git_sha(cwd: Optional[Path] = None) -> Optional[str]:
    """The checked-out commit (with ``-dirty`` when the tree has changes), or None outside git."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "-uno"], cwd=cwd, capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}-dirty" if dirty else sha


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def lineage(data_fingerprint: str, data_source: str) -> dict:
    return {
        "git_sha": git_sha(Path(__file__).parent),
        "data_fingerprint": data_fingerprint,
        "data_source": data_source,
        "packages": package_versions(),
    }
