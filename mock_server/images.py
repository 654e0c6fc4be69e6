"""Placeholder PNGs for completed tasks, because apps under test download their images.

Pillow does the encoding (a well-kept library, not a hand-rolled PNG writer). A flat colour
derived from the jobId and the image index keeps each file deterministic, distinct between the
four grid images, and a few kilobytes even at 1456x816, so they are cheap to make on every GET.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache

__all__ = ["IMAGE_NAMES", "placeholder_png"]

IMAGE_NAMES = tuple(f"0_{i}.png" for i in range(4))


@lru_cache(maxsize=256)
def placeholder_png(job_id: str, index: int, width: int, height: int) -> bytes:
    from PIL import Image  # imported on first use: the server starts faster without it

    digest = hashlib.sha256(f"{job_id}/{index}".encode()).digest()
    image = Image.new("RGB", (width, height), (digest[0], digest[1], digest[2]))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
