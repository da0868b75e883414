"""One line of the built-in target's `alerts.jsonl`: the message as text, and the alert's fields as data.

The fields are the alert's details as the decision made them (veille.decide.render.alert_details) and
the database kept them; most of it comes from an article. So the line takes a fixed set of them and
cleans each string again, whatever the row holds: no NUL, control character or lone surrogate, no
U+2028 or U+2029 (`str.splitlines()` breaks a line there, where JSON does not escape them), a link only
when safe_link vouches for it, and a bounded size. Nothing else reaches it: a target's URL is never
among an alert's details.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from veille.clean import ELLIPSIS, LOCATION_CHARS, SOURCE_CHARS, clean_text, shorten
from veille.redact import mask_url
from veille.sanitize import safe_link

# apprise's limits for this target (NotifyBase's), which AppriseNotifier.send fits every message to.
TITLE_CHARS, BODY_CHARS = 250, 32_768
# The fields' JSON in UTF-8. The rest of the line is at most 4 bytes per character of the title and
# body (a JSON escape takes 2 bytes, or 6 for a control character, and those are removed) and a few keys.
FIELDS_BYTES = 128 * 1024
LINE_BYTES = 4 * (TITLE_CHARS + BODY_CHARS) + FIELDS_BYTES + 256
# A sentence is the extractor's window, 400 characters each side of the match; a title 300 (veille.clean).
_TEXT_CHARS = 1_000
_NAME_CHARS = 200  # ids, names, kinds, severities, a rule's why
_TAG_CHARS = 64  # an entry's id is at most that (veille.watchlist), and each of its tags a word
_DATE_CHARS = 64
# A longer link is none a person follows: the location alone says where the article is.
_URL_CHARS = 4_000
# At these caps the fields without entries take under 82 KB and any one entry under 47 KB (measured with
# 4-byte characters everywhere: 81,446 and 46,290 bytes): the first entry always fits in FIELDS_BYTES.
# An alert has a few tags for each of its entries.
_SOURCES, _TAGS, _RULES = 20, 100, 10
# A mention's reasons (veille.extract.confidence) are a few short phrases.
_REASONS, _REASON_CHARS = 5, 120
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_LINE_SEPARATORS = str.maketrans({"\u2028": " ", "\u2029": " "})


def json_line(moment: datetime, notify_type: str, title: str, body: str, details: Mapping[str, object] | None) -> str:
    """The line for one message, without its line feed: valid JSON, on one line, at most LINE_BYTES."""
    record = {
        "time": moment.isoformat(timespec="seconds"),
        "type": _text(notify_type, _NAME_CHARS),
        "title": _text(title, TITLE_CHARS),
        "body": _text(body, BODY_CHARS),
        "fields": line_fields(details) if details is not None else None,
    }
    return _dumps(record)


def line_fields(details: Mapping[str, object]) -> dict[str, object]:
    """The fields of alerts.jsonl, from an alert's details: entries that would pass FIELDS_BYTES are left off."""
    fields: dict[str, object] = {"severity": _text(details.get("severity"), _NAME_CHARS)}
    _listed(fields, "tags", details.get("tags"), _TAGS, lambda tag: _text(tag, _TAG_CHARS))
    fields["article"] = _article(_mapping(details.get("article")))
    _listed(fields, "sources", details.get("sources"), _SOURCES, lambda source: _text(source, SOURCE_CHARS))
    # The first entry takes the room after the rest; each entry after it, its size and a separator.
    room = FIELDS_BYTES - _size(fields) - len(', "entries": []') - len(', "entries_left_off": 1000000')
    kept: list[dict[str, object]] = []
    entries = list(_items(details.get("entries")))
    for entry in entries:
        cleaned = _entry(_mapping(entry))
        room -= _size(cleaned) + (2 if kept else 0)
        if room < 0:
            break
        kept.append(cleaned)
    fields["entries"] = kept
    if len(kept) < len(entries):
        fields["entries_left_off"] = len(entries) - len(kept)
    return fields


def _article(article: Mapping[str, object]) -> dict[str, object]:
    location = article.get("location")
    location = location if isinstance(location, str) else ""
    url = safe_link(location) if len(location) <= LOCATION_CHARS else None
    if url is not None and len(url) > _URL_CHARS:
        url = None
    # Where it is: its link (ASCII, every unsafe character percent-encoded), else a file's path; a URL
    # Veille cannot vouch for shows its scheme and host only.
    where = url or _text(mask_url(location) if _SCHEME.match(location) else location, LOCATION_CHARS)
    return {
        "title": _text(article.get("title"), _TEXT_CHARS),
        "url": url,
        "location": where,
        "source": _text(article.get("source"), SOURCE_CHARS),
        "date": _text(article.get("date"), _DATE_CHARS),
        "read_at": _text(article.get("read_at"), _DATE_CHARS),
    }


def _entry(entry: Mapping[str, object]) -> dict[str, object]:
    cleaned: dict[str, object] = {
        "id": _text(entry.get("id"), _NAME_CHARS),
        "name": _text(entry.get("name"), _NAME_CHARS),
        "kind": _text(entry.get("kind"), _NAME_CHARS),
        "variant": _text(entry.get("variant"), _TEXT_CHARS),
        "sentence": _text(entry.get("sentence"), _TEXT_CHARS),
        "occurrences": _count(entry.get("occurrences")),
        "matched_by": _text(entry.get("matched_by"), _NAME_CHARS),
        "confidence": _confidence(entry.get("confidence")),
        "coordinates": _coordinates(entry.get("coordinates")),
    }
    _listed(cleaned, "rules", entry.get("rules"), _RULES, lambda rule: _rule(_mapping(rule)))
    _listed(cleaned, "reasons", entry.get("reasons"), _REASONS, lambda reason: _text(reason, _REASON_CHARS))
    return cleaned


def _rule(rule: Mapping[str, object]) -> dict[str, object]:
    return {key: _text(rule.get(key), _NAME_CHARS) for key in ("id", "kind", "severity", "why")}


def _listed(fields: dict[str, object], key: str, values: object, most: int, clean: Callable[[object], object]) -> None:
    """`fields[key]`: the first `most` values, cleaned; `fields[key + "_left_off"]`: how many were not."""
    items = list(_items(values))
    fields[key] = [clean(item) for item in items[:most]]
    if len(items) > most:
        fields[f"{key}_left_off"] = len(items) - most


def _text(value: object, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    # Cut before cleaning too, so that a string of a megabyte costs what its start does; still marked as cut.
    text = clean_text(value[: 2 * limit]) + (ELLIPSIS if len(value) > 2 * limit else "")
    return shorten(text.translate(_LINE_SEPARATORS), limit)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _confidence(value: object) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return float(value) if math.isfinite(value) and 0 <= value <= 1 else None


def _coordinates(value: object) -> list[float] | None:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    numbers = [float(part) for part in value if isinstance(part, int | float) and not isinstance(part, bool)]
    return numbers if len(numbers) == 2 and all(math.isfinite(number) for number in numbers) else None


def _items(value: object) -> Iterator[object]:
    yield from value if isinstance(value, list | tuple) else ()


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _size(value: object) -> int:
    return len(_dumps(value).encode("utf-8"))


def _dumps(value: object) -> str:
    # ensure_ascii=False: the file reads as the articles were written; every string was cleaned, so
    # each character is a valid one, and NaN cannot appear (a coordinate that is not finite is None).
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
