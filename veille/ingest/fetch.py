"""HTTP fetching for feeds and article pages: public addresses only, bounded, polite, conditional, retried."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from veille import __version__
from veille.errors import IngestError
from veille.ingest.guard import AddressGuard, AddressRefused, IPNetwork
from veille.ingest.transport import GuardedBackend, GuardedTransport, Resolver, fetch_deadline, resolve_host

USER_AGENT = f"Veille/{__version__} (news monitoring; +https://github.com/veille-osint/veille)"
DEADLINE_SETTING = "VEILLE_FETCH_DEADLINE_SECONDS"
PER_HOST_SETTING = "VEILLE_FETCH_PER_HOST"


class FetchError(IngestError):
    """A URL could not be fetched; the message says why in one line."""


@dataclass(frozen=True)
class FetchPolicy:
    """`timeout_seconds` bounds each connect and each read; `deadline_seconds` a whole fetch: every
    attempt, redirect, header and byte of body, however slowly a server sends them."""

    timeout_seconds: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    attempts: int = 3
    backoff_seconds: float = 1.0
    # Private networks a user's own feeds live on (an intranet); everything else not public is refused.
    allowed_networks: tuple[IPNetwork, ...] = ()
    deadline_seconds: float = 60.0
    # Fetches under way at once to one host, and in all: polite to each server, bounded in threads.
    per_host: int = 6
    concurrency: int = 32


@dataclass(frozen=True)
class Fetched:
    """A response worth reading, or `not_modified` (HTTP 304) with no content."""

    url: str
    status: int
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def validators(self) -> dict[str, str]:
        """What to send back next time for a conditional GET."""
        return {name: self.headers[name] for name in ("etag", "last-modified") if name in self.headers}


class Fetcher:
    """One HTTP client for a run: public addresses only, connection reuse, gzip, a size cap and retries.

    `resolve` is the system's resolver; a test may inject one (DNS is what cannot run here).
    """

    def __init__(self, policy: FetchPolicy = FetchPolicy(), resolve: Resolver = resolve_host) -> None:
        self.policy = policy
        self._slots = _Slots(policy.per_host, policy.concurrency)
        backend = GuardedBackend(AddressGuard(policy.allowed_networks), resolve)
        self._client = httpx.Client(
            transport=GuardedTransport(backend, max_connections=max(100, policy.concurrency)),
            timeout=httpx.Timeout(policy.timeout_seconds),
            follow_redirects=True,
            max_redirects=policy.max_redirects,
            headers={"User-Agent": USER_AGENT},
            # No HTTP(S)_PROXY, ALL_PROXY or .netrc from the environment: a proxy would resolve and connect
            # on Veille's behalf, out of the guard's reach, and .netrc would hand its passwords to any host
            # a feed links to.
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch(
        self, url: str, validators: dict[str, str] | None = None, accept: str = "*/*", until: float | None = None
    ) -> Fetched:
        """GET `url` within the policy's deadline, or by `until` (a time.monotonic() instant) when sooner.

        Timeouts and 5xx are retried with backoff while the deadline leaves time; anything else fails at once.
        The deadline starts once one of the host's `per_host` slots is free (waiting for it ends by `until`):
        a thousand feeds of one host wait their turn, not their deadline.
        """
        with self._slots.held(urlsplit(url).hostname or "", until):
            return self._fetch(url, validators, accept, until)

    def _fetch(self, url: str, validators: dict[str, str] | None, accept: str, until: float | None) -> Fetched:
        headers = {"Accept": accept}
        if validators:
            if "etag" in validators:
                headers["If-None-Match"] = validators["etag"]
            if "last-modified" in validators:
                headers["If-Modified-Since"] = validators["last-modified"]
        started = time.monotonic()
        own_deadline = started + self.policy.deadline_seconds
        deadline = own_deadline if until is None else min(own_deadline, until)
        within = (
            f"the {_seconds(self.policy.deadline_seconds)} s deadline"
            if deadline == own_deadline
            else f"the {_seconds(deadline - started)} s left to it"
        )
        with fetch_deadline(deadline):
            for attempt in range(1, self.policy.attempts + 1):
                try:
                    return self._get(url, headers, deadline)
                except _Retryable as exc:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        setting = f" ({DEADLINE_SETTING})" if deadline == own_deadline else ""
                        raise FetchError(f"no complete response within {within}{setting}") from None
                    if attempt == self.policy.attempts:
                        raise FetchError(f"{exc} (after {attempt} attempts)") from None
                    pause = self.policy.backoff_seconds * 2 ** (attempt - 1)
                    if pause >= left:
                        raise FetchError(
                            f"{exc} (after {attempt} attempts; no time for another within {within})"
                        ) from None
                    time.sleep(pause)
        raise AssertionError("unreachable")

    def _get(self, url: str, headers: dict[str, str], deadline: float) -> Fetched:
        # A wait for a free pooled connection is no socket operation: bounded here, by what is left.
        left = max(deadline - time.monotonic(), 0.001)
        timeout = httpx.Timeout(self.policy.timeout_seconds, pool=min(self.policy.timeout_seconds, left))
        try:
            with self._client.stream("GET", url, headers=headers, timeout=timeout) as response:
                if response.status_code == 304:
                    return Fetched(str(response.url), 304, headers=_lower(response.headers))
                if response.status_code >= 500:
                    raise _Retryable(f"HTTP {response.status_code} {response.reason_phrase}")
                if response.status_code >= 400:
                    raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}")
                return Fetched(
                    str(response.url), response.status_code, self._read_capped(response), _lower(response.headers)
                )
        except AddressRefused as exc:
            raise FetchError(str(exc)) from None
        except httpx.TimeoutException:
            raise _Retryable(f"timed out after {self.policy.timeout_seconds:g} s") from None
        except httpx.TooManyRedirects:
            raise FetchError(f"more than {self.policy.max_redirects} redirects (a redirect loop?)") from None
        except httpx.DecodingError as exc:
            raise FetchError(f"cannot decode the compressed response: {exc}") from None
        except httpx.UnsupportedProtocol:
            raise FetchError("not an http:// or https:// URL") from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}") from None
        except httpx.TransportError as exc:
            raise FetchError(f"cannot connect: {_first_line(exc)}") from None

    def _read_capped(self, response: httpx.Response) -> bytes:
        cap = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(f"response of {int(declared)} bytes is larger than the {cap}-byte limit")
        chunks, total = [], 0
        # Counted after decompression: a small gzip body can inflate without limit.
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > cap:
                raise FetchError(f"response larger than the {cap}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)


class _Retryable(Exception):
    pass


class _Slots:
    """At most `per_host` fetches at once to each host, and `total` in all, shared by every thread."""

    def __init__(self, per_host: int, total: int) -> None:
        self._per_host = per_host
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()
        self._total = threading.BoundedSemaphore(total)

    @contextmanager
    def held(self, host: str, until: float | None) -> Iterator[None]:
        with self._lock:
            slot = self._hosts.setdefault(host, threading.BoundedSemaphore(self._per_host))
        # The host's slot first: a thread waiting on a busy host must not hold one of all the others' slots.
        _acquire(slot, until, f"no free slot for {host or 'this host'} ({PER_HOST_SETTING}) in the time left")
        try:
            _acquire(self._total, until, "no free connection in the time left")
            try:
                yield
            finally:
                self._total.release()
        finally:
            slot.release()


def _acquire(semaphore: threading.BoundedSemaphore, until: float | None, problem: str) -> None:
    timeout = None if until is None else max(until - time.monotonic(), 0.0)
    if not semaphore.acquire(timeout=timeout):
        raise FetchError(problem)


def _seconds(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _lower(headers: httpx.Headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
