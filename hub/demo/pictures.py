"""Generated pictures for the demo's review images: landscapes and abstract shapes drawn with
Pillow from a seed, never photographs and never people. Pure: no Django."""

import io
import random

from PIL import Image, ImageDraw, ImageFilter

SIZE = (768, 576)


def landscape(seed: int) -> Image.Image:
    """A sky with a sun and clouds, three mountain ridges (each darker and nearer than the
    last) and a row of trees on the nearest."""
    rng = random.Random(seed)
    width, height = SIZE
    image = _sky(rng)
    draw = ImageDraw.Draw(image)
    sun_x, sun_y, sun_r = rng.randint(80, width - 80), rng.randint(60, 200), rng.randint(30, 70)
    draw.ellipse((sun_x - sun_r, sun_y - sun_r, sun_x + sun_r, sun_y + sun_r), fill=_warm(rng))
    for _ in range(rng.randint(3, 6)):
        _cloud(draw, rng)
    ridge: list[tuple[float, float]] = []
    for layer in range(3):
        shade = 150 - 45 * layer
        colour = (shade // 2 + rng.randint(0, 40), shade + rng.randint(-20, 20), shade // 2 + rng.randint(0, 60))
        ridge = _ridge(rng, height * (0.42 + 0.17 * layer), height)
        draw.polygon(ridge, fill=colour)
    _trees(draw, rng, ridge[1:-1])
    return image


def shapes(seed: int) -> Image.Image:
    """Overlapping circles and rectangles in a seeded palette on a tinted ground."""
    rng = random.Random(seed)
    width, height = SIZE
    image = Image.new("RGB", SIZE, _colour(rng))
    draw = ImageDraw.Draw(image)
    for _ in range(18):
        x, y = rng.randint(-60, width), rng.randint(-60, height)
        w, h = rng.randint(40, 260), rng.randint(40, 260)
        box = (x, y, x + w, y + h)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=_colour(rng))
        else:
            draw.rectangle(box, fill=_colour(rng))
    return image


def plain(seed: int) -> Image.Image:
    """A soft, nearly featureless gradient: too little detail for a reliable hash."""
    rng = random.Random(seed)
    top, bottom = _colour(rng), _colour(rng)
    return _gradient(top, bottom).filter(ImageFilter.GaussianBlur(8))


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _sky(rng: random.Random) -> Image.Image:
    top = (rng.randint(20, 90), rng.randint(60, 140), rng.randint(150, 230))
    bottom = (rng.randint(200, 255), rng.randint(150, 220), rng.randint(120, 200))
    return _gradient(top, bottom)


def _gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    mask = Image.linear_gradient("L").resize(SIZE)  # 0 at the top, 255 at the bottom
    return Image.composite(Image.new("RGB", SIZE, bottom), Image.new("RGB", SIZE, top), mask)


def _ridge(rng: random.Random, base: float, height: int) -> list[tuple[float, float]]:
    width = SIZE[0]
    points, y = [(0.0, float(height))], base
    for x in range(0, width + 24, 24):
        y = min(max(y + rng.uniform(-45, 45), base - 150), base + 60)
        points.append((float(x), y))
    points.append((float(width), float(height)))
    return points


def _cloud(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    x, y = rng.randint(0, SIZE[0]), rng.randint(20, 180)
    grey = rng.randint(215, 250)
    for _ in range(5):
        dx, dy, r = rng.randint(-50, 50), rng.randint(-12, 12), rng.randint(18, 34)
        draw.ellipse((x + dx - r, y + dy - r, x + dx + r, y + dy + r), fill=(grey, grey, grey))


def _trees(draw: ImageDraw.ImageDraw, rng: random.Random, ridge: list[tuple[float, float]]) -> None:
    for x, y in ridge:
        if rng.random() < 0.6:
            tall, half = rng.randint(30, 70), rng.randint(10, 20)
            green = (rng.randint(10, 40), rng.randint(50, 90), rng.randint(20, 50))
            draw.polygon([(x - half, y + 8), (x + half, y + 8), (x, y + 8 - tall)], fill=green)


def _warm(rng: random.Random) -> tuple[int, int, int]:
    return (255, rng.randint(180, 240), rng.randint(60, 140))


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
