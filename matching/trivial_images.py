"""Trivial pictures a blank-image hash would match: solid colours, gradients, checkerboards,
stripes and blank pages, at common sizes. Their PDQ hashes are the deny-list of
``matching.degenerate`` (written by ``manage.py pdq_denylist_build``). Pure: no Django.

A flat picture's PDQ is rounding noise (every DCT coefficient is about 0), so each colour
and size gives its own hash: the list samples them densely rather than naming a few."""

from collections.abc import Iterator

import numpy as np
from PIL import Image

from matching.pdq import pdq_hex

SIZES = [(640, 480), (1280, 720), (1920, 1080), (1080, 1920), (1024, 1024), (1240, 1754)]
PAGE_SIZES = [(1240, 1754), (1275, 1650), (2480, 3508)]  # A4 and Letter at 150 dpi, A4 at 300 dpi
GREY_LEVELS = range(0, 256, 17)
CELLS = [1, 2, 4, 8, 16, 32, 64, 128]
PAPER = [(255, 255, 255), (250, 250, 245), (245, 243, 235), (240, 240, 240)]


def _colours() -> list[tuple[int, int, int]]:
    greys = [(v, v, v) for v in GREY_LEVELS]
    pure = [(r, g, b) for r in (0, 255) for g in (0, 255) for b in (0, 255) if 0 < r + g + b < 765]
    half = [tuple(128 * c // 255 for c in colour) for colour in pure]
    return greys + pure + [(h[0], h[1], h[2]) for h in half]


def _grey(values: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), mode="L")


def _gradients(width: int, height: int) -> Iterator[tuple[str, Image.Image]]:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    ramps = {
        "horizontal": xs / (width - 1),
        "vertical": ys / (height - 1),
        "diagonal": (xs + ys) / (width + height - 2),
        "anti-diagonal": (xs + height - 1 - ys) / (width + height - 2),
        "radial": np.hypot(xs - width / 2, ys - height / 2) / np.hypot(width / 2, height / 2),
    }
    for name, ramp in ramps.items():
        yield f"{name} gradient", _grey(255 * ramp)
        yield f"{name} gradient, reversed", _grey(255 * (1 - ramp))


def _patterns(width: int, height: int) -> Iterator[tuple[str, Image.Image]]:
    ys, xs = np.mgrid[0:height, 0:width]
    for cell in CELLS:
        yield f"checkerboard {cell} px", _grey(255 * ((xs // cell + ys // cell) % 2))
        if cell in (1, 4, 16, 64):
            yield f"vertical stripes {cell} px", _grey(255 * ((xs // cell) % 2))
            yield f"horizontal stripes {cell} px", _grey(255 * ((ys // cell) % 2))


def _pages(width: int, height: int) -> Iterator[tuple[str, Image.Image]]:
    ys = np.mgrid[0:height, 0:width][0]
    for paper in PAPER:
        blank = np.broadcast_to(np.asarray(paper, dtype=np.uint8), (height, width, 3))
        yield f"blank page {paper}", Image.fromarray(np.ascontiguousarray(blank))
        ruled = blank.copy()
        ruled[(ys % (height // 30) == 0) & (ys > height // 10)] = (200, 200, 220)
        yield f"ruled page {paper}", Image.fromarray(ruled)


def trivial_images() -> Iterator[tuple[str, Image.Image]]:
    for width, height in SIZES:
        for colour in _colours():
            yield f"solid {colour} {width}x{height}", Image.new("RGB", (width, height), colour)
        for name, image in [*_gradients(width, height), *_patterns(width, height)]:
            yield f"{name} {width}x{height}", image
    for width, height in PAGE_SIZES:
        for name, image in _pages(width, height):
            yield f"{name} {width}x{height}", image


def denylist_build() -> list[tuple[str, str]]:
    """(PDQ hex, label) of every trivial picture, one row per distinct hash, in a stable order."""
    seen: dict[str, str] = {}
    for label, image in trivial_images():
        value, _quality = pdq_hex(image)
        seen.setdefault(value, label)
    return sorted(seen.items(), key=lambda row: row[1])
