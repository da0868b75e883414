"""Article text made safe to put in a notification, whatever the target renders.

Text from an article must not add links, mentions, markup or script to an alert: apprise escapes
text for HTML targets but hands it unchanged to Markdown ones (Discord, Slack, Telegram). So the
text itself is neutralised: control and bidi characters removed, mass mentions broken, angle
brackets (HTML, Slack's <!channel> and <url|label>) replaced, Markdown links broken, and URLs and
domain names "defanged" as analysts write them (hxxps://example[.]com).
"""

from __future__ import annotations

import re
import unicodedata

_MASS_MENTION = re.compile(r"@(?=(everyone|here|channel|all|group|room|team)\b)", re.IGNORECASE)
_SCHEME = re.compile(r"\b(h)tt(ps?)(:)//", re.IGNORECASE)
_OTHER_SCHEME = re.compile(r"\b(javascript|data|vbscript|file|ftp|mailto|tg|slack|discord)(:)", re.IGNORECASE)
# Domain names chat clients turn into links by themselves.
_DOMAIN = re.compile(
    r"\b((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+)"
    r"(com|net|org|info|biz|io|co|me|app|dev|xyz|site|online|link|live|news|gov|edu|int|mil|eu|uk|fr|de|ru|"
    r"ua|sy|iq|ir|tr|lb|il|ps|jo|sa|ae|qa|eg|us|ca|be|ch|nl|it|es|cn|su|to|gg|cc|tv|ly|gl|ws|sh)\b",
    re.IGNORECASE,
)
_MARKDOWN_LINK = re.compile(r"\]\s*\(")


def neutralise(text: str) -> str:
    """`text` with nothing a notification target would turn into a link, a mention or markup."""
    text = "".join(char for char in text if _visible(char))
    text = _MASS_MENTION.sub("＠", text)
    text = text.replace("<", "‹").replace(">", "›")
    text = _MARKDOWN_LINK.sub("] (", text).replace("![", "! [")
    text = _SCHEME.sub(lambda m: f"{m.group(1)}xx{m.group(2)}[{m.group(3)}]//", text)
    text = _OTHER_SCHEME.sub(lambda m: f"{m.group(1)}[{m.group(2)}]", text)
    return _DOMAIN.sub(lambda m: m.group(1).replace(".", "[.]") + m.group(2), text)


def _visible(char: str) -> bool:
    category = unicodedata.category(char)
    if char in "\n\t":
        return True
    # Cc: control characters; Cf: format characters (bidi overrides, zero-width joiners and spaces).
    return category not in ("Cc", "Cf")
