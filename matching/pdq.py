"""PDQ of decoded pixels, as hex in the ThreatExchange convention (the first bit of
``pdqhash.compute``'s vector is the most significant). Pure: no Django."""

import numpy as np
import pdqhash
from PIL import Image


def pdq_hex_of_array(rgb: np.ndarray) -> tuple[str, int]:
    bits, quality = pdqhash.compute(rgb)
    value = int("".join("1" if b else "0" for b in bits), 2)
    return format(value, "064x"), int(quality)


def pdq_hex(image: Image.Image) -> tuple[str, int]:
    """(hex, quality) of an image; it is converted to RGB first, as Pillow does."""
    return pdq_hex_of_array(np.asarray(image.convert("RGB")))
