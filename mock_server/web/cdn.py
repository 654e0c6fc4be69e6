"""`/cdn/<jobId>/0_<i>.png` and `grid_0.png`: the images of completed tasks, fetchable offline.

Public like Midjourney's CDN (no API-KEY). Apps under test download what `images` lists; with
`--image-base-url http://host:port/cdn` those URLs point here.
"""

from __future__ import annotations

from flask import Response

from mock_server.errors import NotFound
from mock_server.web.bodies import current_backend
from mock_server.web.images import GRID_NAME, IMAGE_NAMES, grid_png, placeholder_png

__all__ = ["image"]


def image(jobId: str, image: str) -> Response:
    if image not in IMAGE_NAMES and image != GRID_NAME:
        names = ", ".join((*IMAGE_NAMES, GRID_NAME))
        raise NotFound(f"no image {image!r}; a job has {names}")
    task = current_backend().completed_task_by_job_id(jobId)
    if image == GRID_NAME:
        png = grid_png(task.job_id, task.width, task.height)
    else:
        png = placeholder_png(task.job_id, IMAGE_NAMES.index(image), task.width, task.height)
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
