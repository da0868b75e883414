"""The only way Veille's Fetcher opens a connection: resolved once, checked, connected to the checked address.

An httpcore network backend sits under httpx's connection pool, so the check covers a feed URL, a page
link, every redirect hop and every pooled connection alike. The host is resolved once and the socket
connects to the very address that was checked: a second DNS answer (DNS rebinding) cannot swap it.
Every socket operation is also bounded by the deadline of the fetch it serves (see `fetch_deadline`).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import httpcore
import httpx

from veille.ingest.guard import AddressGuard

Resolver = Callable[[str, int], Sequence[str]]
"""host, port -> the IP addresses to try, in order. The system's resolver unless a test injects one."""

_deadline: ContextVar[float | None] = ContextVar("veille_fetch_deadline", default=None)


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for `host`, in its order of preference."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@contextmanager
def fetch_deadline(at: float) -> Iterator[None]:
    """Inside the block, every DNS lookup, connect, TLS handshake, read and write ends by `at`.

    `at` is a time.monotonic() instant. A context variable, not a connection's setting: a pooled
    connection serves one fetch after another, each with its own deadline, and fetches run side by side
    in threads.
    """
    token = _deadline.set(at)
    try:
        yield
    finally:
        _deadline.reset(token)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` (httpx's, per operation) shortened to what is left of the fetch's deadline."""
    at = _deadline.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the fetch's deadline has passed")
    return left if timeout is None else min(timeout, left)


class GuardedBackend(httpcore.NetworkBackend):
    """TCP connections to addresses the guard lets through, and only to those."""

    def __init__(self, guard: AddressGuard, resolve: Resolver = resolve_host) -> None:
        self._guard = guard
        self._resolve = resolve
        self._tcp = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._addresses(host, port, _bounded(timeout, httpcore.ConnectTimeout))
        self._guard.check(host, addresses)
        failure: Exception = httpcore.ConnectError(f"{host}: no address to connect to")
        for address in addresses:
            try:
                stream = self._tcp.connect_tcp(
                    address, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return _DeadlineStream(stream)
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("Veille fetches over TCP only")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def _addresses(self, host: str, port: int, timeout: float | None) -> Sequence[str]:
        try:
            ipaddress.ip_address(host)
            return [host]  # a literal address needs no lookup
        except ValueError:
            pass
        # getaddrinfo has no timeout of its own: a resolver that never answers must not outlive the deadline.
        outcome: list[Sequence[str] | Exception] = []
        answered = threading.Event()

        def lookup() -> None:
            try:
                outcome.append(self._resolve(host, port))
            except Exception as exc:  # handed to the fetching thread, which reports it
                outcome.append(exc)
            finally:
                answered.set()

        threading.Thread(target=lookup, name=f"resolve {host}", daemon=True).start()
        if not answered.wait(timeout):
            raise httpcore.ConnectTimeout(f"{host}: no DNS answer within {timeout:g} s")
        result = outcome[0]
        if isinstance(result, Exception):
            raise httpcore.ConnectError(f"{host}: {result}")
        return result


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the current fetch's deadline: a server trickling
    its headers or body one byte at a time is cut there, whatever the per-read timeout."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        )

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (its pool, TLS and error mapping) over a GuardedBackend; HTTP/2 where a
    server offers it over TLS (ALPN), HTTP/1.1 elsewhere."""

    def __init__(self, backend: GuardedBackend, max_connections: int = 100) -> None:
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        super().__init__(limits=limits)
        # httpx 0.28 takes no network backend (encode/httpx#3749): the pool it built is replaced by the
        # same pool over ours. Checked, so that an httpx that renamed it fails here rather than fetch unguarded.
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError(
                "this httpx keeps no httpcore pool in HTTPTransport._pool: the address guard "
                "cannot be installed (pin httpx 0.28)"
            )
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
            http2=_has_h2(),
        )


def _has_h2() -> bool:
    """Whether the `h2` package (httpx[http2]) is installed: without it, HTTP/1.1 only."""
    return importlib.util.find_spec("h2") is not None
