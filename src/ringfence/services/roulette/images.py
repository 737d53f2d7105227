"""Images sent in a chat: only real PNG, JPEG or WebP pass, re-encoded in memory.

Re-encoding drops everything but the pixels: camera metadata (EXIF, GPS position), comments, and
anything smuggled after the image data. A picture larger than ``MAX_PIXELS`` is refused before it
is decoded (a small file can declare a huge canvas). Nothing is written anywhere.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from ringfence.errors import InvalidInput

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MAX_PIXELS = 4096 * 4096
MAX_SIDE = 1600  # larger pictures are scaled down: a chat shows them small


def sniff(data: bytes) -> str | None:
    """The format the bytes start with, whatever the sender claims."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def clean_image(data: bytes, max_bytes: int) -> tuple[bytes, str]:
    """The image re-encoded without metadata, and its media type; InvalidInput otherwise."""
    if len(data) > max_bytes:
        raise InvalidInput(f"images are at most {max_bytes // 1000} kB")
    kind = sniff(data)
    if kind is None:
        raise InvalidInput("only PNG, JPEG and WebP images can be sent")
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput("that image is too large")
            image.load()
            picture = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise InvalidInput("that image could not be read") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    if kind == "JPEG" and picture.mode != "RGB":
        picture = picture.convert("RGB")
    out = io.BytesIO()
    picture.save(out, format=kind, **({"quality": 85} if kind != "PNG" else {}))
    return out.getvalue(), FORMATS[kind]
