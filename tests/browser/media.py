"""Images and videos for the browser hasher's tests, generated here (no binary fixtures).
Every file carries MARKER in its metadata, so a request that carried file bytes would show it."""

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, PngImagePlugin

MARKER = b"NCII-FILE-MARKER-" + secrets.token_hex(8).encode()
ORIENTATION = 0x0112


@dataclass(frozen=True)
class Sample:
    name: str
    data: bytes
    lossy: bool  # JPEG and lossy WebP: browser and Pillow decoders may differ slightly

    def write(self, folder: Path) -> str:
        path = folder / self.name
        path.write_bytes(self.data)
        return str(path)


def photo_like(width: int, height: int, seed: int, shapes: int = 25, grain: int = 12) -> Image.Image:
    """A gradient with random shapes and some grain: structure at every scale, like a photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x + 2 * y) * 255 // (width + 2 * height)], axis=2)
    image = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(shapes):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        box = [
            x0,
            y0,
            x0 + int(rng.integers(width // 20 + 1, width // 3 + 2)),
            y0 + int(rng.integers(height // 20 + 1, height // 3 + 2)),
        ]
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    grain = rng.integers(-grain, grain + 1, (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image, dtype=int) + grain, 0, 255).astype(np.uint8))


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", MARKER.decode())
    return encode(image, "PNG", pnginfo=info)


def jpeg(image: Image.Image, quality: int = 90, orientation: int | None = None, **options: object) -> bytes:
    exif = image.getexif()
    if orientation:
        exif[ORIENTATION] = orientation
    return encode(image, "JPEG", quality=quality, comment=MARKER, exif=exif, **options)


def transparent(width: int, height: int, seed: int) -> Image.Image:
    """RGBA: a clear band whose hidden pixels keep a colour, and a half-transparent band."""
    rgba = np.dstack([np.asarray(photo_like(width, height, seed)), np.full((height, width), 255, np.uint8)])
    rgba[:, : width // 4, 3] = 0
    rgba[:, width // 4 : width // 2, 3] = np.linspace(0, 255, width // 2 - width // 4, dtype=np.uint8)
    return Image.fromarray(rgba, "RGBA")


def animated_gif(width: int, height: int, seed: int) -> bytes:
    first, second = photo_like(width, height, seed, shapes=4), photo_like(width, height, seed + 1)
    return encode(first, "GIF", save_all=True, append_images=[second], duration=200, loop=0, comment=MARKER)


def image_samples() -> list[Sample]:
    """Varied in size (64x48 to 3000x2000), format and content."""
    return [
        Sample("tiny.png", png(photo_like(64, 48, 1)), lossy=False),
        Sample("photo.png", png(photo_like(640, 480, 2, shapes=3)), lossy=False),
        Sample("large.png", png(photo_like(3000, 2000, 3, shapes=8)), lossy=False),
        Sample("grey.png", png(photo_like(1024, 768, 4, shapes=5).convert("L")), lossy=False),
        Sample(
            "palette.png",
            png(photo_like(500, 375, 5, shapes=2).convert("P", palette=Image.Palette.ADAPTIVE)),
            lossy=False,
        ),
        Sample("transparent.png", png(transparent(800, 600, 6)), lossy=False),
        Sample("first-frame.gif", animated_gif(400, 300, 7), lossy=False),
        Sample(
            "lossless.webp",
            encode(photo_like(700, 500, 9, shapes=3, grain=0), "WEBP", lossless=True, xmp=MARKER),
            lossy=False,
        ),
        Sample("camera.jpg", jpeg(photo_like(1200, 900, 10, shapes=3), quality=85), lossy=True),
        Sample("big.jpg", jpeg(photo_like(2000, 1500, 11), quality=95), lossy=True),
        Sample("turned-6.jpg", jpeg(photo_like(517, 333, 12, shapes=5), orientation=6), lossy=True),
        Sample("turned-3.jpg", jpeg(photo_like(600, 400, 13, shapes=2), orientation=3), lossy=True),
        Sample(
            "progressive.jpg", jpeg(photo_like(1600, 1200, 15, shapes=6), progressive=True, subsampling=0), lossy=True
        ),
        Sample("lossy.webp", encode(photo_like(700, 500, 14, shapes=8), "WEBP", quality=80, xmp=MARKER), lossy=True),
    ]


def flat_image() -> Sample:
    """Almost no detail: a PDQ quality far below the threshold."""
    return Sample("flat.png", png(Image.new("RGB", (400, 300), (120, 130, 140))), lossy=False)


def video(size: int = 5 * 1024 * 1024 + 12345) -> Sample:
    """Random bytes named .mp4 (the hasher only reads bytes), several 2 MiB chunks long."""
    data = bytearray(secrets.token_bytes(size))
    data[size // 2 : size // 2 + len(MARKER)] = MARKER
    return Sample("clip.mp4", bytes(data), lossy=False)
