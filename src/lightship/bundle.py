"""The model bundle: everything serving needs, in one self-describing folder.

Layout::

    manifest.json       labels, max length, inputs/outputs, metrics, parity, lineage
    model.onnx          the graph (dynamic batch and sequence axes)
    tokenizer/          the tokenizer, saved with ``save_pretrained``
    config.yaml         the resolved config of the run that made it

Serving loads a bundle and nothing else, so training and serving cannot disagree on
preprocessing or on the label map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lightship.errors import LightshipError

FORMAT_VERSION = 1
MANIFEST, ONNX_FILE, TOKENIZER_DIR, CONFIG_FILE = "manifest.json", "model.onnx", "tokenizer", "config.yaml"


@dataclass
class Bundle:
    path: Path
    manifest: dict[str, Any]

    @classmethod
    def load(cls, path: str | Path) -> "Bundle":
        """Read a bundle folder; fail with what is missing when it is not one."""
        folder = Path(path)
        manifest_path = folder / MANIFEST
        if not manifest_path.is_file():
            raise LightshipError(f"{folder}: not a lightship bundle (no {MANIFEST}).")
        manifest = json.loads(manifest_path.read_text())
        bundle = cls(folder, manifest)
        for required in (bundle.onnx_path, bundle.tokenizer_dir):
            if not required.exists():
                raise LightshipError(f"{folder}: incomplete bundle, {required.name} is missing.")
        return bundle

    @property
    def onnx_path(self) -> Path:
        return self.path / ONNX_FILE

    @property
    def tokenizer_dir(self) -> Path:
        return self.path / TOKENIZER_DIR

    @property
    def labels(self) -> list[str]:
        return list(self.manifest["labels"])

    @property
    def max_length(self) -> int:
        return int(self.manifest["max_length"])

    @property
    def high_risk_label(self) -> str | None:
        return self.manifest.get("high_risk_label")

    def update(self, **fields: Any) -> None:
        """Merge ``fields`` into the manifest and write it."""
        self.manifest.update(fields)
        write_manifest(self.path, self.manifest)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str))
    return path


def start_bundle(folder: Path, labels: list[str], max_length: int, high_risk_label: str | None, model: dict, config_yaml: str) -> Bundle:
    """Create the folder with the manifest's fixed fields and the resolved config."""
    from lightship.export.onnx_export import INPUT_NAMES, OUTPUT_NAMES

    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(config_yaml)
    manifest = {
        "format_version": FORMAT_VERSION,
        "labels": labels,
        "max_length": max_length,
        "high_risk_label": high_risk_label,
        "inputs": INPUT_NAMES,
        "outputs": OUTPUT_NAMES,
        "model": model,
    }
    write_manifest(folder, manifest)
    return Bundle(folder, manifest)
