"""Image test data and the image smoke model: small coloured shapes (circle, square, triangle) on dark backgrounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SHAPES = ("circle", "square", "triangle")


def draw(shape: str, size: int, rng: np.random.Generator, brightness: float = 1.0) -> np.ndarray:
    """One ``uint8 [size, size, 3]`` image: a shape of random colour, position and scale on a dark noisy background."""
    yy, xx = np.mgrid[0:size, 0:size]
    radius = rng.uniform(0.2, 0.35) * size
    cy, cx = rng.uniform(radius, size - radius, 2)
    if shape == "circle":
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
    elif shape == "square":
        mask = (np.abs(yy - cy) <= radius * 0.8) & (np.abs(xx - cx) <= radius * 0.8)
    else:
        top = cy - radius
        mask = (yy >= top) & (yy <= cy + radius * 0.8) & (np.abs(xx - cx) <= (yy - top) * 0.6)
    image = rng.uniform(0, 40, (size, size, 3))
    colour = rng.uniform(120, 255, 3)
    image[mask] = colour
    return np.clip(image * brightness, 0, 255).astype(np.uint8)


def write_shapes(root: Path, per_class: int = 60, size: int = 32, seed: int = 0, jpeg_every: int = 4) -> Path:
    """``root/<shape>/<i>.png`` (every ``jpeg_every``-th image a JPEG) and return ``root``."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        folder = root / shape
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            suffix = ".jpg" if jpeg_every and i % jpeg_every == 0 else ".png"
            Image.fromarray(draw(shape, size, rng)).save(folder / f"{i}{suffix}")
    return root


# Overrides of the image smoke model: small shapes, a small CNN, a few epochs (seconds, not minutes).
SMOKE = ["data=image_folder", "model=image_cnn", "model.channels=[8,16]", "model.min_epochs=6", "trainer.max_epochs=6", "data.batch_size=16", "trainer.enable_progress_bar=false",
         "export.exporter=torchscript", "tracking.model_name=shapes", "gates.min_accuracy=0.3", "gates.min_macro_f1=0.2"]


def train_image_smoke(workdir: Path, *overrides: str) -> dict:
    """Write the shapes folder into ``workdir`` and train the image smoke model there; the summary gains ``folder``."""
    from lightship_testing import train_defaults

    folder = write_shapes(workdir / "shapes", per_class=40)
    return {**train_defaults(workdir, *SMOKE, f"data.path={folder}", *overrides), "folder": folder}
