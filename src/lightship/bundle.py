"""The model bundle: everything serving needs, in one self-describing folder.

Layout::

    manifest.json       labels, input (kind and schema), graph inputs/outputs, metrics, parity, lineage
    model.onnx          the graph (dynamic batch axis; text graphs also a dynamic sequence axis)
    tokenizer/          text bundles: the tokenizer, saved with ``save_pretrained``
    config.yaml         the resolved config of the run that made it

The manifest's ``input`` block says what the model takes: ``{"kind": "text", "max_length": N}``
or ``{"kind": "tabular", "columns": [{"name", "type", "nullable", "categories"}, ...]}``.
Bundles written before the block existed are text bundles.

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
        try:
            manifest = json.loads(manifest_path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LightshipError(f"{manifest_path}: not valid JSON ({exc}); the bundle is corrupt or truncated.") from exc
        bundle = cls(folder, manifest)
        if not bundle.onnx_path.exists():
            raise LightshipError(f"{folder}: incomplete bundle, {bundle.onnx_path.name} is missing.")
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
    def input(self) -> dict[str, Any]:
        """What the model takes (see the module docstring); text for bundles older than the field."""
        return self.manifest.get("input") or {"kind": "text", "max_length": self.manifest.get("max_length")}

    @property
    def input_kind(self) -> str:
        return str(self.input["kind"])

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


def start_bundle(folder: Path, labels: list[str], high_risk_label: str | None, model: dict, config_yaml: str, **fields: Any) -> Bundle:
    """Create the folder with the manifest's fixed fields and the resolved config.

    ``fields`` come from the model spec (``bundle_fields``): at least ``input`` (kind and
    schema), ``inputs`` and ``outputs`` (the graph's names), plus kind-specific extras.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(config_yaml)
    manifest = {"format_version": FORMAT_VERSION, "labels": labels, "high_risk_label": high_risk_label, "model": model, **fields}
    write_manifest(folder, manifest)
    return Bundle(folder, manifest)
