"""Schema of ``data=image_folder`` (a module of its own in the ``data`` group)."""

from dataclasses import dataclass
from enum import Enum
from typing import Optional

from lightship.config.schemas.data import DataConfig

GROUP = "data"


class ImageMode(Enum):
    """Decoded colour mode: greyscale (``L``), ``RGB``, or ``auto`` (RGB when any training image has colour)."""

    auto = "auto"
    L = "L"
    RGB = "RGB"


class BuiltinImages(Enum):
    """Real image sets that ship inside installed packages (used when neither path nor manifest is set)."""

    mnist = "mnist"
    digits = "digits"


@dataclass
class ImageFolderConfig(DataConfig):
    """Labelled PNG/JPEG images: a folder of class sub-folders, a manifest file, or a built-in set."""

    # A folder with one sub-folder of images per class.
    path: Optional[str] = None
    # Or a CSV/Parquet file with a path column (relative to the file's folder), a label column and optionally a time column.
    manifest: Optional[str] = None
    builtin: BuiltinImages = BuiltinImages.mnist
    path_column: str = "path"
    label_column: str = "label"
    time_column: Optional[str] = None
    mode: ImageMode = ImageMode.auto
    # Largest accepted image (width x height), in training and in serving.
    max_pixels: int = 4096 * 4096
    # Drop unusable images (unreadable, not PNG/JPEG, too large, no label) and count them instead of failing.
    drop_invalid_rows: bool = False


SCHEMAS = {"image_folder_schema": ImageFolderConfig}
