"""Turn the bytes of an article file into clean text: decoding, image names, captions."""

from __future__ import annotations

import re
import unicodedata

from veille.clean import shorten
from veille.errors import IngestError

_IMAGE_NAME = r"[\w.\-()]+\.(?:jpe?g|png|gif|webp|bmp|tiff?|svg|avif|heic)"
_BARE_IMAGE = re.compile(rf"^\s*{_IMAGE_NAME}\s*$", re.IGNORECASE)
_LEADING_IMAGE = re.compile(rf"^\s*{_IMAGE_NAME}\s+(?=\S)", re.IGNORECASE)
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Text with more control characters than this is not an article, whatever it decodes to.
_MAX_CONTROL_RATIO = 0.01
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\r\f")
# Unicode's control characters (category Cc: C0, DEL and C1) but the layout ones, found by the regex
# engine: a Python loop over every character cost ~0.15 ms an article.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_TITLE_LENGTH = 140


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (BOM or not), UTF-16/32 with a BOM, else Windows-1252 (a superset of Latin-1)."""
    if not data.strip():
        raise IngestError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom) :].decode(encoding))
            except UnicodeDecodeError as exc:
                raise IngestError(f"undecodable: starts with a {encoding} BOM but is not {encoding}") from exc
    # Without a BOM, control bytes tell a binary file (an image, an archive) from text; a stray NUL
    # in an article does not (it is dropped with the other controls when the Article is made).
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > max(2, len(data) * _MAX_CONTROL_RATIO):
        raise IngestError(f"binary or undecodable: {controls} control characters in {len(data)}")
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        return _checked(data.decode("cp1252"))
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"undecodable: neither UTF-8 nor Latin-1/Windows-1252 (byte 0x{data[exc.start]:02x} at {exc.start})"
        ) from exc


def _checked(text: str) -> str:
    controls = len(_CONTROL_CHARS.findall(text))
    if controls > max(2, len(text) * _MAX_CONTROL_RATIO):
        raise IngestError(f"binary or undecodable: {controls} control characters in {len(text)}")
    return text


def clean_article_text(text: str) -> str:
    """Normalised text without bare image names; a caption keeps its words, not its file name."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).lstrip("\ufeff")
    lines = []
    for line in text.split("\n"):
        if _BARE_IMAGE.match(line):
            continue
        lines.append(_LEADING_IMAGE.sub("", line).rstrip())
    cleaned = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip()


def title_of(text: str) -> str:
    """The first line, cut on a word boundary when long."""
    return shorten(text.split("\n", 1)[0].strip(), _TITLE_LENGTH)
