"""Notification targets from apprise's own YAML config and from VEILLE_NOTIFY_URLS."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from apprise import Apprise, LogCapture, NotifyFormat, OverflowMode
from apprise.config.base import ConfigBase
from apprise.plugins.base import NotifyBase

from veille.decide.deliveries import takes
from veille.errors import ConfigError
from veille.notify.budget import fit_message, limits_of
from veille.notify.local import fields_for_local_target, install_local_target, is_local_target
from veille.records import TargetRef
from veille.redact import mask_logger, mask_url, mask_urls
from veille.yamlfile import Location, YamlDocument, load_yaml, unknown_key

# Longer than the 16 of the keys that came before, so that the two kinds can never be mistaken.
_KEY_LENGTH = 32
_TOP_KEYS = {"version", "tag", "urls", "asset"}
# apprise logs a URL it cannot parse as given, and json://, form:// and xml:// paths unmasked when it
# loads them: every record of its logger is masked before a handler (console, Prefect, capture) sees it.
mask_logger("apprise")


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    tags: frozenset[str]
    server: NotifyBase
    legacy_keys: frozenset[str] = frozenset()

    @property
    def ref(self) -> TargetRef:
        return TargetRef(self.key, self.label)


class AppriseNotifier:
    """Targets by tag; a target without tags receives every alert."""

    def __init__(self, servers: Sequence[NotifyBase]) -> None:
        targets: dict[str, Target] = {}
        for server in servers:
            key = target_key(server)
            known = targets.get(key)
            # apprise's tags are AppriseTag objects; routing compares plain names.
            tags = frozenset(str(tag) for tag in server.tags) | (known.tags if known else frozenset())
            first = known.server if known else server
            legacy = frozenset({legacy_target_key(server)}) | (known.legacy_keys if known else frozenset())
            targets[key] = Target(key, target_label(first), tags, first, legacy)
        self.targets = list(targets.values())

    def targets_for(self, tags: Sequence[str]) -> list[TargetRef]:
        return [t.ref for t in self.targets if takes(t.tags, tags)]

    def all_tags(self) -> frozenset[str]:
        """Every tag some target has: a rule's tag outside it would route to no one in particular."""
        return frozenset(tag for target in self.targets for tag in target.tags)

    def has_target(self, key: str) -> bool:
        return any(target.key == key for target in self.targets)

    def legacy_keys(self) -> dict[str, TargetRef]:
        """Each target's key of the scheme before this one, to the target: rows keyed so are renamed."""
        return {legacy: target.ref for target in self.targets for legacy in target.legacy_keys}

    def send(self, key: str, title: str, body: str, fields: Mapping[str, object] | None = None) -> str | None:
        target = next((t for t in self.targets if t.key == key), None)
        if target is None:
            return "target no longer configured"
        server = target.server
        title, body = fit_message(title, body, limits_of(server))
        # What still does not fit (a limit apprise does not know) is cut, never refused by the service.
        overflow = OverflowMode.TRUNCATE if server.overflow_mode == OverflowMode.UPSTREAM else None
        # The fields go to the built-in target alone: every other one takes the title and body.
        local_fields = fields if is_local_target(server) else None
        with LogCapture(level=logging.WARNING) as captured, fields_for_local_target(local_fields):
            try:
                accepted = server.notify(body=body, title=title, body_format=NotifyFormat.TEXT, overflow=overflow)
            except Exception as exc:  # a plugin bug must not stop the other deliveries
                return f"{type(exc).__name__} in apprise plugin"
        if accepted:
            return None
        lines = [line.split(" - ", 2)[-1] for line in captured.getvalue().splitlines() if line.strip()]
        return _scrub(" / ".join(lines[-3:]) or "refused", target.server)


def target_label(server: NotifyBase) -> str:
    """The URL with everything past its host masked, options left out: safe to show and store."""
    return mask_url(server.url(privacy=True)).split("?", 1)[0]


def target_key(server: NotifyBase) -> str:
    """An id for a target that does not reveal its URL and does not change with its options.

    apprise's `url_id()` covers what the plugin says makes it unique (credentials, host, and options
    such as a mail server that change where it sends) and ignores the others (`?format=`, `?overflow=`),
    but it leaves out a URL's targets (one Telegram bot's chats): the URL's path, which holds them
    and holds no option, is hashed with it. A rotated token or another chat is another target.
    """
    where = server.url(privacy=False).split("?", 1)[0].rstrip("/")
    identity = f"{server.url_id(lazy=False) or ''}\0{where}"
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:_KEY_LENGTH]


def legacy_target_key(server: NotifyBase) -> str:
    """The id a target had before keys ignored options (a digest of its whole URL): its old rows are renamed."""
    return hashlib.sha256(server.url(privacy=False).encode("utf-8")).hexdigest()[:16]


def _scrub(text: str, server: NotifyBase) -> str:
    """apprise's messages (masked by its logger's filter) with the full URL's secret parts removed all the same."""
    for secret in _secrets_of(server):
        text = text.replace(secret, "****")
    return mask_urls(text, bare_paths=True)


def _secrets_of(server: NotifyBase) -> list[str]:
    full, masked = server.url(privacy=False), server.url(privacy=True)
    full_parts, masked_parts = _parts(full), set(_parts(masked))
    return sorted((part for part in full_parts if part not in masked_parts and len(part) >= 4), key=len, reverse=True)


def _parts(url: str) -> list[str]:
    for separator in "/?&=:@#":
        url = url.replace(separator, " ")
    return url.split()


def load_notifier(targets_file: Path | None, env_urls: str | None, alerts_file: Path) -> AppriseNotifier:
    """Every configured target (no file: the variable's alone); a problem in either raises ConfigError."""
    install_local_target(alerts_file)
    servers = _servers_from_file(targets_file) if targets_file is not None else []
    if env_urls:
        servers += _servers_from_env(env_urls)
    if not servers:
        if targets_file is None:
            raise ConfigError("no notification target: set VEILLE_NOTIFY_URLS")
        raise ConfigError(f"{targets_file}: no notification target: list one under 'urls' or set VEILLE_NOTIFY_URLS")
    return AppriseNotifier(servers)


def _servers_from_file(path: Path) -> list[NotifyBase]:
    document = load_yaml(path)
    _check_layout(document)
    refused = [
        (("urls", index), f"not a URL apprise can use ({_schema(url)}://...)")
        for index, url in _urls_of(document.data["urls"])
        if Apprise.instantiate(url) is None
    ]
    _raise_all(document, refused)
    content = path.read_text(encoding="utf-8-sig")
    try:
        parsed, _includes = ConfigBase.config_parse_yaml(content)
    except Exception as exc:  # apprise's parser has bugs of its own (a KeyError on some URLs)
        raise ConfigError(f"{path}: apprise cannot read this file ({type(exc).__name__}: {exc})") from None
    # Typed as a list of objects by apprise; they are its plugins' instances.
    servers = [server for server in parsed if isinstance(server, NotifyBase)]
    if not servers:
        raise document.error(("urls",), "apprise found no usable target")
    return servers


def _check_layout(document: YamlDocument) -> None:
    data = document.data
    if not isinstance(data, dict):
        raise document.error((), "must be a mapping with a 'urls' list (apprise YAML format)")
    problems: list[tuple[Location, str]] = []
    for key in data:
        if key not in _TOP_KEYS:
            # 'include' would pull targets from elsewhere at run time: not here.
            problem = unknown_key(str(key), _TOP_KEYS)
            if problem == "unknown key":
                problem += f"; expected one of {', '.join(sorted(_TOP_KEYS))}"
            problems.append(((str(key),), problem))
    if not isinstance(data.get("urls"), list) or not data["urls"]:
        problems.append((("urls",), "must be a non-empty list of apprise URLs"))
        _raise_all(document, problems)
    for index, item in enumerate(data["urls"]):
        if isinstance(item, str):
            continue
        if not (isinstance(item, dict) and len(item) == 1 and isinstance(next(iter(item)), str)):
            problems.append((("urls", index), "each item is a URL, or one URL mapped to its settings"))
            continue
        settings = next(iter(item.values()))
        if settings is not None and not isinstance(settings, (dict, list)):
            problems.append((("urls", index), "a URL's settings must be a mapping (tag: ...)"))
    _raise_all(document, problems)


def _raise_all(document: YamlDocument, problems: Sequence[tuple[Location, str]]) -> None:
    error = document.errors(problems)
    if error is not None:
        raise error


def _urls_of(items: list[str | dict[str, object]]) -> list[tuple[int, str]]:
    return [(index, item if isinstance(item, str) else next(iter(item))) for index, item in enumerate(items)]


def _servers_from_env(value: str) -> list[NotifyBase]:
    servers = []
    for position, item in enumerate(value.split(), start=1):
        tags, _, url = item.partition("=") if "=" in item.split("://", 1)[0] else ("", "", item)
        server = Apprise.instantiate(url, tag=[tag for tag in tags.split(",") if tag] or None)
        if server is None:
            # Never echo the URL: it is in the environment because it holds a token.
            raise ConfigError(
                f"VEILLE_NOTIFY_URLS: item {position} is not a URL apprise can use ({_schema(url)}://...)"
            )
        servers.append(server)
    return servers


def _schema(url: str) -> str:
    return url.split("://", 1)[0][:20] if "://" in url else "no schema"
