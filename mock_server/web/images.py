"""Placeholder PNGs for completed tasks, because apps under test download their images.

Pillow does the encoding (a well-kept library, not a hand-rolled PNG writer). A flat colour
derived from the jobId and the image index keeps each file deterministic, distinct between the
four grid images, and a few kilobytes even at 1456x816, so they are cheap to make on every GET.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from typing import Any

__all__ = ["GRID_NAME", "IMAGE_NAMES", "grid_png", "placeholder_png"]

IMAGE_NAMES = tuple(f"0_{i}.png" for i in range(4))
GRID_NAME = "grid_0.png"


@lru_cache(maxsize=256)
def placeholder_png(job_id: str, index: int, width: int, height: int) -> bytes:
    from PIL import Image  # imported on first use: the server starts faster without it

    image = Image.new("RGB", (width, height), _colour(job_id, index))
    return _encode(image)


@lru_cache(maxsize=64)
def grid_png(job_id: str, width: int, height: int) -> bytes:
    """The 2x2 grid that `image` names: the four images' colours side by side, so it is
    `2 * width` by `2 * height` for a grid of `width` by `height` (the task's `meta`)."""
    from PIL import Image

    image = Image.new("RGB", (2 * width, 2 * height))
    for index in range(4):
        left, top = (index % 2) * width, (index // 2) * height
        image.paste(_colour(job_id, index), (left, top, left + width, top + height))
    return _encode(image)


def _colour(job_id: str, index: int) -> tuple[int, int, int]:
    digest = hashlib.sha256(f"{job_id}/{index}".encode()).digest()
    return digest[0], digest[1], digest[2]


def _encode(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
