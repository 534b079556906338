"""Test images made on the fly: photo-like content, EXIF, bombs. No binary fixtures."""

import io
import struct
import zlib
from functools import cache

import numpy as np
from PIL import Image

MARKER = b"NCII-ORIGINAL-BYTES-MARKER"


def photo_like(seed: int, size: tuple[int, int] = (900, 700)) -> Image.Image:
    """Smooth blobs and edges on a gradient: enough structure for a high PDQ quality."""
    return _photo_like(seed, size).copy()


@cache
def _photo_like(seed: int, size: tuple[int, int]) -> Image.Image:
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    canvas = np.zeros((h, w, 3), np.float32) + rng.uniform(0, 255, 3) * (x / w)[..., None]
    for _ in range(25):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(20, w / 4)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
        canvas += blob[..., None] * rng.uniform(-160, 160, 3)
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))


def encode(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg_with_exif(image: Image.Image, orientation: int = 6) -> bytes:
    """A JPEG carrying an orientation, a camera comment with MARKER, and GPS-like data."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010E] = MARKER.decode()  # ImageDescription
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS IFD
    return encode(image, "JPEG", quality=92, exif=exif.tobytes(), comment=MARKER)


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height``: a decompression bomb's shape."""
    data = encode(Image.new("L", (1, 1)), "PNG")
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    start = data.index(b"IHDR") - 4
    return data[:start] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[start + 25 :]


def webp_bomb(width: int = 9400, height: int = 9400) -> bytes:
    """A 34-byte lossless WebP declaring ``width`` x ``height``: one pixel's bitstream whose
    Huffman codes are all zero bits long, so every declared pixel decodes from nothing."""
    data = bytearray(encode(Image.new("RGB", (1, 1)), "WEBP", lossless=True))
    at = data.index(b"VP8L") + 9  # after the chunk size and the 0x2f signature
    bits = struct.unpack("<I", data[at : at + 4])[0] & ~((1 << 28) - 1)
    data[at : at + 4] = struct.pack("<I", bits | (width - 1) | ((height - 1) << 14))
    return bytes(data)


@cache
def png_bomb(width: int = 9400, height: int = 9400) -> bytes:
    """A real, fully decodable PNG of zeros: about 86 KB at 9400 x 9400."""
    return encode(Image.new("L", (width, height)), "PNG", optimize=True)


@cache
def gif_bomb(width: int = 9400, height: int = 9400) -> bytes:
    """A real, fully decodable GIF of zeros: about 65 KB at 9400 x 9400."""
    return encode(Image.new("L", (width, height)), "GIF")
