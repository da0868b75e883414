"""Many RSS feeds served fast from one asyncio process, for bench/feeds_scale.py.

    python bench/feed_farm.py FEEDS ITEMS HOST [HOST ...]

Listens on an ephemeral port of each HOST (127.0.0.x) and prints `PORT` per host, one a line, when ready.
`/feed/N` is feed N of ITEMS entries with an ETag; a request whose If-None-Match is that ETag gets a 304.
`/bump/K` gives the next K feeds (in turn) a new entry in place of their oldest, so that the next poll
finds exactly those K changed; `/cpu` answers the seconds of CPU this process has used.
Plain HTTP/1.1 with keep-alive: a small server in pure Python, far faster than http.server's thread per
connection, so that the client is what is measured.
"""

from __future__ import annotations

import asyncio
import resource
import sys

TEXT = (
    "Le conseil municipal a voté le budget de la médiathèque après un long débat sur les horaires "
    "d'ouverture, les tarifs des ateliers et la rénovation de la salle de lecture. "
) * 3


class Farm:
    def __init__(self, feeds: int, items: int) -> None:
        self.items = items
        self.versions = [0] * feeds
        self.next_bump = 0
        self.bodies: dict[int, bytes] = {}

    def bump(self, count: int) -> None:
        for _ in range(count):
            feed = self.next_bump % len(self.versions)
            self.versions[feed] += 1
            self.bodies.pop(feed, None)
            self.next_bump += 1

    def etag(self, feed: int) -> str:
        return f'"{feed}-{self.versions[feed]}"'

    def body(self, feed: int) -> bytes:
        if feed not in self.bodies:
            first = self.versions[feed]
            items = "".join(
                f'<item><guid isPermaLink="false">f{feed}-{n}</guid><title>Dépêche {n} du flux {feed}</title>'
                f"<link>http://example.org/f{feed}/{n}</link><description>{TEXT}</description>"
                "<pubDate>Wed, 08 Nov 2017 10:00:00 +0100</pubDate></item>"
                for n in range(first, first + self.items)
            )
            self.bodies[feed] = (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Flux {feed}</title><link>http://example.org/</link><description>banc</description>"
                f"{items}</channel></rss>"
            ).encode()
        return self.bodies[feed]

    def answer(self, path: str, if_none_match: str | None) -> bytes:
        if path.startswith("/feed/"):
            feed = int(path.removeprefix("/feed/"))
            etag = self.etag(feed)
            if if_none_match == etag:
                return _response("304 Not Modified", b"", etag)
            return _response("200 OK", self.body(feed), etag, "application/rss+xml; charset=utf-8")
        if path.startswith("/bump/"):
            self.bump(int(path.removeprefix("/bump/")))
            return _response("200 OK", b"bumped", None)
        if path == "/cpu":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            return _response("200 OK", f"{usage.ru_utime + usage.ru_stime:.3f}".encode(), None)
        return _response("404 Not Found", b"not found", None)


def _response(status: str, body: bytes, etag: str | None, kind: str = "text/plain") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n"
    if etag:
        head += f"ETag: {etag}\r\n"
    if body:
        head += f"Content-Type: {kind}\r\n"
    return (head + "\r\n").encode() + body


async def serve_client(farm: Farm, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            writer.write(farm.answer(path, headers.get("if-none-match")))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(feeds: int, items: int, hosts: list[str]) -> None:
    farm = Farm(feeds, items)
    servers = [
        await asyncio.start_server(lambda r, w: serve_client(farm, r, w), host, 0, backlog=1024) for host in hosts
    ]
    for server in servers:
        print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]))
