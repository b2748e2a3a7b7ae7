"""Reading a drawn figure back: artists by the gid the chart modules give them."""

from __future__ import annotations

from collections import defaultdict

import numpy as np


def artists(chart) -> dict[str, list]:
    found: dict[str, list] = defaultdict(list)
    for artist in chart.figure.findobj(lambda a: a.get_gid() is not None):
        found[artist.get_gid()].append(artist)
    return found


def one(chart, gid: str):
    (artist,) = artists(chart)[gid]
    return artist


def offsets(collection) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in collection.get_offsets()]


def hollow(collection) -> bool:
    faces = np.asarray(collection.get_facecolors())
    return len(faces) == 0 or bool(np.all(faces[:, 3] == 0))


def span(patch) -> tuple[float, float]:
    """(left, right) of a bar or an axvspan, in data units."""
    box = patch.get_bbox() if hasattr(patch, "get_bbox") else None
    if box is not None and hasattr(patch, "get_x"):
        return float(patch.get_x()), float(patch.get_x() + patch.get_width())
    xs = patch.get_xy()[:, 0]
    return float(xs.min()), float(xs.max())


def y_range(collection) -> tuple[float, float]:
    vertices = collection.get_paths()[0].vertices
    return float(vertices[:, 1].min()), float(vertices[:, 1].max())


def curve_at(line, x: float) -> float:
    xs, ys = line.get_data()
    return float(np.interp(x, xs, ys))
