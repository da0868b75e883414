"""A real HTTP server on 127.0.0.1 whose routes tests define: feeds, pages, failures, redirects."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from veille.ingest.guard import parse_networks

# Veille refuses loopback addresses by default: a test fetching from a FeedServer opts in, with this.
ALLOW_FEED_SERVER = parse_networks("127.0.0.1/32")
# The headers of a reply carrying an RSS feed.
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunked: bool = False
    # Seconds between bytes: the body goes out one byte at a time, and the status line and headers too
    # with trickle_headers (a server holding a client for as long as it likes).
    trickle: float = 0.0
    trickle_headers: bool = False


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]


Route = Callable[[Request], Reply]


class FeedServer:
    """Serves `routes` (path -> Reply or a function of the Request); records every request.

    It listens on 127.0.0.1 unless told another address of 127.0.0.0/8 (all of it is loopback on Linux),
    which lets a test put an allowed listener and a forbidden one side by side.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Reply | Route] = {}
        self.requests: list[Request] = []
        # Requests being answered at once, now and at most: what a client's per-host limit is held to.
        self.in_flight = 0
        self.most_in_flight = 0
        self._counting = threading.Lock()
        self.host = host
        self.closed = False
        self._server = _QuietServer((host, port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def hits(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    def close(self) -> None:
        self.closed = True
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle and delayed ACKs add 40 ms to each.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                with server._counting:
                    server.in_flight += 1
                    server.most_in_flight = max(server.most_in_flight, server.in_flight)
                try:
                    self._answer()
                finally:
                    with server._counting:
                        server.in_flight -= 1

            def _answer(self) -> None:
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(request)
                route = server.routes.get(self.path, Reply(404, b"not found"))
                reply = route(request) if callable(route) else route
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.trickle:
                    self._trickle(reply)
                    return
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        for start in range(0, len(reply.body), 65536):
                            chunk = reply.body[start : start + 65536]
                            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.write(b"0\r\n\r\n")
                    else:
                        if "Content-Length" not in reply.headers:
                            self.send_header("Content-Length", str(len(reply.body)))
                        self.end_headers()
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a size cap, a timeout): that is what some tests want

            def _trickle(self, reply: Reply) -> None:
                head = "".join(
                    [
                        f"HTTP/1.1 {reply.status} {self.responses.get(reply.status, ('',))[0]}\r\n",
                        *(f"{name}: {value}\r\n" for name, value in reply.headers.items()),
                        f"Content-Length: {len(reply.body)}\r\n\r\n",
                    ]
                ).encode()
                slow = head + reply.body if reply.trickle_headers else reply.body
                self.close_connection = True
                try:
                    if not reply.trickle_headers:
                        self.wfile.write(head)
                    for index in range(len(slow)):
                        if server.closed:
                            return
                        self.wfile.write(slow[index : index + 1])
                        time.sleep(reply.trickle)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up: what a deadline is for

            def log_message(self, *args) -> None:
                pass

        return Handler


class _QuietServer(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops concurrent connects, which then wait 1 s for a SYN retry.
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        pass  # a client hanging up mid-reply (a size cap, a timeout) is what some tests do on purpose


def rss(*items: tuple[str, str, str], title: str = "Flux de test") -> bytes:
    """An RSS 2.0 document of (guid, title, description) items."""
    body = "".join(
        f'<item><guid isPermaLink="false">{guid}</guid><title>{item_title}</title><link>http://example.org/{guid}</link>'
        f"<description><![CDATA[{description}]]></description>"
        f"<pubDate>Wed, 08 Nov 2017 10:00:00 +0100</pubDate></item>"
        for guid, item_title, description in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://example.org/</link><description>test</description>{body}</channel></rss>"
    ).encode()
