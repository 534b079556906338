"""Review images: strict decoding, the metadata-free derivative, and its content hashes.
Pure: Pillow, numpy and the hashers, no Django.

Everything happens in memory on the bytes of one request. What is kept is only the
derivative: orientation applied, downscaled to ``DERIVATIVE_SIDE``, re-encoded from raw
pixels (so no EXIF, ICC or other metadata can survive)."""

import io
import warnings
from dataclasses import dataclass

import imagehash
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from matching.pdq import pdq_hex
from ncii_site.errors import DomainError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
DERIVATIVE_SIDE = 512
DERIVATIVE_QUALITY = 85
# Hashing version: bump when the hashing of derivatives changes, then run `manage.py rehash`.
HASH_VERSION = 1


class ImageRefused(DomainError, ValueError):
    """An upload that is not a review image the hub takes; its code says why."""

    code = "image_refused"
    status = 422
    STATUS = {"image_too_large": 413, "unsupported_image": 415, "corrupt_image": 422}

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail, code=code, status=self.STATUS.get(code, 422))


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


def image_open(data: bytes, *, max_pixels: int) -> Image.Image:
    """Identify the image without decoding its pixels; refuse unknown formats and images over
    ``max_pixels`` (including Pillow's 1x-2x band where it would only warn)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageRefused("image_too_large", f"The image has more than {max_pixels} pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRefused("unsupported_image", "Not a JPEG, PNG, WebP or GIF image.") from None
    width, height = image.size
    if width * height > max_pixels or width < 1 or height < 1:
        raise ImageRefused("image_too_large", f"The image has more than {max_pixels} pixels.")
    return image


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
        raise ImageRefused("corrupt_image", "The image could not be decoded (corrupt or truncated).") from None


def derivative_make(rgb: Image.Image) -> Derivative:
    small = rgb.copy()
    small.thumbnail((DERIVATIVE_SIDE, DERIVATIVE_SIDE), Image.Resampling.LANCZOS)
    clean = Image.frombytes("RGB", small.size, small.tobytes())  # a new image: no metadata at all
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=DERIVATIVE_QUALITY, optimize=True)
    return Derivative(out.getvalue(), clean.width, clean.height)


@dataclass(frozen=True)
class ProcessedImage:
    derivative: Derivative
    hashes: ContentHashes


def review_image_process(data: bytes, *, max_bytes: int, max_pixels: int) -> ProcessedImage:
    """Validate and decode an upload in memory; return what may be kept and its hashes."""
    if len(data) > max_bytes:
        raise ImageRefused("image_too_large", f"The image is larger than {max_bytes} bytes.")
    if not data:
        raise ImageRefused("unsupported_image", "The image is empty.")
    rgb = image_decode(image_open(data, max_pixels=max_pixels))
    return ProcessedImage(derivative_make(rgb), hashes_of(rgb))


def hashes_of(rgb: Image.Image) -> ContentHashes:
    """PDQ + quality and a 64-bit pHash of decoded pixels."""
    pdq, quality = pdq_hex(rgb)
    return ContentHashes(pdq=pdq, quality=quality, phash=str(imagehash.phash(rgb)))


def derivative_hashes(derivative_jpeg: bytes) -> ContentHashes:
    """Hashes of a stored derivative (all that is left after intake). At 512 px these
    drift from the full-resolution PDQ (measured: mean 18 bits), so intake hashes the
    decoded upload instead and this serves only re-hashing after an upgrade."""
    with Image.open(io.BytesIO(derivative_jpeg), formats=("JPEG",)) as image:
        return hashes_of(image.convert("RGB"))


REVIEW_LEVELS = ("blurred", "grey", "colour")  # what a moderator may see, least first


def review_view(derivative_jpeg: bytes, *, level: str, radius: int) -> bytes:
    """The derivative at one of the ``REVIEW_LEVELS``: nothing sharper than asked for."""
    if level == "colour":
        return derivative_jpeg
    return greyscale(derivative_jpeg) if level == "grey" else blurred(derivative_jpeg, radius=radius)


def greyscale(derivative_jpeg: bytes) -> bytes:
    """Sharp, but without colour: the first step of a reveal."""
    with Image.open(io.BytesIO(derivative_jpeg), formats=("JPEG",)) as image:
        grey = image.convert("L")
    out = io.BytesIO()
    grey.save(out, "JPEG", quality=85)
    return out.getvalue()


def blurred(derivative_jpeg: bytes, *, radius: int = 14) -> bytes:
    """The view a moderator gets by default: greyscale and heavily blurred, made on the
    server, so nothing clear reaches the browser until they choose to reveal it."""
    with Image.open(io.BytesIO(derivative_jpeg), formats=("JPEG",)) as image:
        grey = image.convert("L").filter(ImageFilter.GaussianBlur(radius))
    out = io.BytesIO()
    grey.save(out, "JPEG", quality=70)
    return out.getvalue()
