"""Decoding a review image: the first frame's pixels, the metadata-free derivative and the
content hashes. Pure: Pillow, numpy and the hashers; no Django, no ``ncii_site`` (this module
is imported by the decoding subprocess, ``matching.decode_child``, which must start quickly).

Decoding costs memory and time an outsider controls, so it runs only in that subprocess,
under its limits (``matching.sandbox``), never in a web request."""

import io
import warnings
from dataclasses import dataclass

import imagehash
from PIL import Image, ImageOps

from matching.pdq import pdq_hex

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
DERIVATIVE_SIDE = 512
DERIVATIVE_QUALITY = 85


class DecodeFailed(ValueError):
    """The bytes are not an image the hub can decode; ``code`` says why."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


@dataclass(frozen=True)
class Derivative:
    jpeg: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ContentHashes:
    pdq: str
    quality: int
    phash: str


@dataclass(frozen=True)
class ProcessedImage:
    derivative: Derivative
    hashes: ContentHashes


def image_decode(image: Image.Image) -> Image.Image:
    """The first frame's pixels, oriented as its EXIF says, as RGB. JPEGs decode at a reduced
    scale that still leaves at least twice the derivative's size."""
    if image.format == "JPEG":
        image.draft("RGB", (DERIVATIVE_SIDE * 2, DERIVATIVE_SIDE * 2))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.seek(0)
            image.load()
            oriented = ImageOps.exif_transpose(image)
            return oriented.convert("RGB")
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise DecodeFailed("corrupt_image", "The image could not be decoded (corrupt or truncated).") from None


def derivative_make(rgb: Image.Image) -> Derivative:
    small = rgb.copy()
    small.thumbnail((DERIVATIVE_SIDE, DERIVATIVE_SIDE), Image.Resampling.LANCZOS)
    clean = Image.frombytes("RGB", small.size, small.tobytes())  # a new image: no metadata at all
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=DERIVATIVE_QUALITY, optimize=True)
    return Derivative(out.getvalue(), clean.width, clean.height)


def hashes_of(rgb: Image.Image) -> ContentHashes:
    """PDQ + quality and a 64-bit pHash of decoded pixels."""
    pdq, quality = pdq_hex(rgb)
    return ContentHashes(pdq=pdq, quality=quality, phash=str(imagehash.phash(rgb)))


def image_process(data: bytes, *, max_pixels: int) -> ProcessedImage:
    """Decode an upload (already inspected by the request) and return what may be kept and
    its hashes. The caller bounds this call's memory and time."""
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except MemoryError:
        raise
    except Exception:  # the request identified it, so: corrupt, or (WebP allocates on opening) too big
        raise DecodeFailed("corrupt_image", "The image could not be opened (corrupt, or too big to decode).") from None
    if image.width * image.height > max_pixels:  # checked by the request too; never trust the queue
        raise DecodeFailed("image_too_large", f"The image has more than {max_pixels} pixels.")
    rgb = image_decode(image)
    return ProcessedImage(derivative_make(rgb), hashes_of(rgb))
