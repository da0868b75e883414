"""Hostile network input: wire copies in many outlets, internal addresses, servers that trickle."""

from __future__ import annotations

import ipaddress
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.builders import article
from tests.conftest import run_monitor, write_sources
from tests.feedserver import ALLOW_FEED_SERVER, RSS, FeedServer, Reply
from tests.wire import WIRE
from veille.ingest import read_all
from veille.ingest.feeds import FeedSource
from veille.ingest.fetch import Fetcher, FetchError, FetchPolicy
from veille.ingest.fulltext import with_full_text, with_full_texts
from veille.ingest.guard import AddressGuard, AddressRefused, address_class, parse_networks
from veille.records import Article

HTML = {"Content-Type": "text/html; charset=utf-8"}
NO_ALLOWANCE = FetchPolicy(timeout_seconds=5, attempts=1)  # Veille's default: no private network allowed
TO_FEED_SERVER = FetchPolicy(timeout_seconds=5, attempts=1, allowed_networks=ALLOW_FEED_SERVER)
TEASER = WIRE.split(". ")[0] + "."
OUTLETS = 10


def wire_page(outlet: int) -> bytes:
    """One outlet's page for the wire story: its own frame around the same dispatch, word for word."""
    return (
        f"<html><head><title>Journal {outlet}</title></head><body><nav>Journal {outlet}: Accueil Monde</nav>"
        f"<article><h1>Frappes russes en Syrie</h1><p>{WIRE}</p></article>"
        f"<footer>Journal {outlet}, tous droits réservés</footer></body></html>"
    ).encode()


def teaser(outlet: int, url: str) -> Article:
    return article(
        f"Frappes russes en Syrie\n\n{TEASER}",
        key=f"j{outlet}",
        source=f"feed:journal{outlet}",
        title="Frappes russes en Syrie",
        location=url,
        content_hash=f"h{outlet}",
    )


# Item 7: trafilatura's deduplicate=True counts the texts it extracted, across calls, process-wide.


def test_ten_outlets_carrying_one_wire_story_each_get_their_page_s_full_text(feed_server):
    for outlet in range(OUTLETS):
        feed_server.routes[f"/journal{outlet}/frappes"] = Reply(200, wire_page(outlet), HTML)
    with Fetcher(TO_FEED_SERVER) as fetcher:
        results = [with_full_text(teaser(n, feed_server.url(f"/journal{n}/frappes")), fetcher) for n in range(OUTLETS)]
    with_page_text = [n for n, (article, problem) in enumerate(results) if problem is None and WIRE in article.text]
    assert with_page_text == list(range(OUTLETS)), [problem for _, problem in results]


@pytest.mark.usefixtures("prefect_harness")
def test_ten_outlets_carrying_one_wire_story_make_one_alert_per_watched_entry(workdir, feed_server, monkeypatch):
    feeds = []
    for outlet in range(OUTLETS):
        page = feed_server.url(f"/journal{outlet}/frappes")
        feed_server.routes[f"/journal{outlet}/frappes"] = Reply(200, wire_page(outlet), HTML)
        feed_server.routes[f"/journal{outlet}/rss"] = Reply(
            200, rss_with_links((f"j{outlet}-1", "Frappes russes en Syrie", TEASER, page)), RSS
        )
        feeds.append({"name": f"journal{outlet}", "url": feed_server.url(f"/journal{outlet}/rss"), "full_text": "true"})
    write_sources(workdir, feeds)
    monkeypatch.setenv("VEILLE_FETCH_ALLOWED_NETWORKS", "127.0.0.1/32")

    summary = run_monitor()

    assert summary.new == OUTLETS
    by_entry: dict[str, list[int]] = {}
    for alert in summary.alerts:
        for name in alert.entries:
            by_entry.setdefault(name, []).append(alert.sources)
    assert {"Tu-22M3", "Deir ez-Zor", "Kalibr"} <= set(by_entry), "Kalibr is only in the pages' text"
    assert by_entry == {name: [OUTLETS] for name in by_entry}, "one story carried by ten sources, one alert each"


def rss_with_links(*items: tuple[str, str, str, str]) -> bytes:
    """An RSS 2.0 document of (guid, title, description, link) items."""
    body = "".join(
        f'<item><guid isPermaLink="false">{guid}</guid><title>{title}</title><link>{link}</link>'
        f"<description><![CDATA[{description}]]></description></item>"
        for guid, title, description, link in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>http://example.org/</link><description>test</description>{body}</channel></rss>"
    ).encode()


# Item 2: no request to an internal address, whatever the form of the link.

REFUSED_LOOPBACK = (
    r"^refused: .+ \((loopback|unspecified)\); Veille fetches public addresses only "
    r"\(VEILLE_FETCH_ALLOWED_NETWORKS\)$"
)
LOOPBACK_FORMS = [
    "127.0.0.1",
    "localhost",
    "LOCALHOST",
    "2130706433",
    "0x7f000001",
    "0177.1",
    "127.1",
    "127.0.0.2",
    "0",
    "0.0.0.0",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:127.0.0.1]",
    "[::127.0.0.1]",
]


@pytest.mark.parametrize("host", LOOPBACK_FORMS)
def test_a_link_to_a_loopback_form_is_refused_before_any_request(feed_server, host):
    feed_server.routes["/admin"] = Reply(200, b"<html><body>internal page</body></html>", HTML)
    with Fetcher(NO_ALLOWANCE) as fetcher, pytest.raises(FetchError, match=REFUSED_LOOPBACK):
        fetcher.fetch(f"http://{host}:{feed_server.port}/admin")
    assert feed_server.requests == []


def test_an_octal_dotted_address_is_not_fetched(feed_server):
    with Fetcher(NO_ALLOWANCE) as fetcher, pytest.raises(FetchError, match="invalid URL"):
        fetcher.fetch(f"http://0177.0.0.1:{feed_server.port}/admin")
    assert feed_server.requests == []


@pytest.mark.usefixtures("prefect_harness")
def test_full_text_links_to_internal_addresses_are_not_fetched_and_the_feed_s_text_is_used(workdir, monkeypatch):
    internal = FeedServer("127.0.0.1")
    feed = FeedServer("127.0.0.2")
    try:
        internal.routes["/admin"] = Reply(
            200,
            (
                "<html><body><article><h1>Console</h1><p>"
                + "INTERNE-SECRET jeton d'administration, Palmyre. " * 20
                + "</p></article></body></html>"
            ).encode(),
            HTML,
        )
        links = [
            f"http://{host}:{internal.port}/admin"
            for host in ("127.0.0.1", "localhost", "2130706433", "[::1]", "0.0.0.0", "127.1")
        ]
        feed.routes["/rss"] = Reply(
            200,
            rss_with_links(
                *(
                    (f"e{n}", f"Dépêche {n}", f"Des tirs de mortier ont visé Hama dans la nuit, dépêche {n}.", link)
                    for n, link in enumerate(links)
                )
            ),
            RSS,
        )
        monkeypatch.setenv("VEILLE_FETCH_ALLOWED_NETWORKS", "127.0.0.2/32")
        write_sources(workdir, [{"name": "presse", "url": feed.url("/rss"), "full_text": "true"}])

        summary = run_monitor()
    finally:
        internal.close()
        feed.close()

    assert internal.requests == [], "an internal page was requested"
    assert summary.new == len(links)
    assert {name for a in summary.alerts for name in a.entries} == {"Hama", "mortier"}, (
        "the feed's text is used, not the page's"
    )
    assert "INTERNE-SECRET" not in (workdir / "data" / "alerts.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::127.0.0.1", "loopback"),
        ("64:ff9b::7f00:1", "loopback"),
        ("2002:7f00:1::", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:0.0.0.0", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("::ffff:192.168.1.1", "private"),
        ("192.0.2.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("fec0::1", "site-local"),
        ("100.64.0.1", "not globally reachable"),
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
        ("2002:808:808::1", None),
        ("151.101.2.133", None),
    ],
)
def test_an_address_is_refused_unless_it_is_public(address, expected):
    assert address_class(ipaddress.ip_address(address)) == expected


@pytest.mark.parametrize(
    ("allowed", "host", "addresses", "refused"),
    [
        ("", "feeds.example", ["151.101.2.133"], None),
        ("", "intranet", ["10.1.2.3"], "refused: intranet resolves to 10.1.2.3 (private)"),
        ("10.1.0.0/16", "intranet", ["10.1.2.3"], None),
        ("10.1.0.0/16", "intranet", ["::ffff:10.1.2.3"], None),
        ("10.1.0.0/16", "other", ["10.2.0.1"], "refused: other resolves to 10.2.0.1 (private)"),
        ("", "two-faced", ["151.101.2.133", "127.0.0.1"], "refused: two-faced resolves to 127.0.0.1 (loopback)"),
        ("127.0.0.2", "127.0.0.1", ["127.0.0.1"], "refused: 127.0.0.1 (loopback)"),
        ("fd00::/8", "v6", ["fd00::5"], None),
    ],
)
def test_the_guard_lets_through_public_addresses_and_the_allowed_networks_only(allowed, host, addresses, refused):
    guard = AddressGuard(parse_networks(allowed))
    if refused is None:
        guard.check(host, addresses)
    else:
        with pytest.raises(AddressRefused) as caught:
            guard.check(host, addresses)
        assert str(caught.value) == f"{refused}; Veille fetches public addresses only (VEILLE_FETCH_ALLOWED_NETWORKS)"


def test_an_allowed_network_must_be_written_as_one():
    assert parse_networks(" 10.0.0.0/8,,fd00::/8, 192.168.1.7 ") == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("fd00::/8"),
        ipaddress.ip_network("192.168.1.7/32"),
    )
    with pytest.raises(ValueError, match="'intranet' is not a network"):
        parse_networks("10.0.0.0/8, intranet")


def test_a_feed_on_loopback_is_that_feed_s_failure_and_an_allowed_network_is_fetched(feed_server):
    feed_server.routes["/feed"] = Reply(200, rss_with_links(("1", "Hama", "Tirs à Hama.", "http://example.org/1")), RSS)
    with Fetcher(NO_ALLOWANCE) as refusing, Fetcher(TO_FEED_SERVER) as allowing:
        (refused,) = read_all([FeedSource("local", f"http://localhost:{feed_server.port}/feed", refusing)])
        (allowed,) = read_all([FeedSource("local", feed_server.url("/feed"), allowing)])
    assert refused.failure == (
        "refused: localhost resolves to 127.0.0.1 (loopback); Veille fetches public addresses "
        "only (VEILLE_FETCH_ALLOWED_NETWORKS)"
    )
    assert len(allowed.articles) == 1
    assert len(feed_server.requests) == 1


@pytest.mark.parametrize(
    "location",
    ["http://127.0.0.1:{port}/secret", "http://localhost:{port}/secret", "http://[::ffff:127.0.0.1]:{port}/secret"],
)
def test_a_redirect_from_an_allowed_listener_to_a_forbidden_one_is_refused(feed_server, location):
    allowed = FeedServer("127.0.0.2")
    try:
        allowed.routes["/moved"] = Reply(302, headers={"Location": location.format(port=feed_server.port)})
        feed_server.routes["/secret"] = Reply(200, b"internal", HTML)
        policy = FetchPolicy(attempts=1, allowed_networks=parse_networks("127.0.0.2/32"))
        with Fetcher(policy) as fetcher, pytest.raises(FetchError, match=REFUSED_LOOPBACK):
            fetcher.fetch(allowed.url("/moved"))
    finally:
        allowed.close()
    assert len(allowed.hits("/moved")) == 1
    assert feed_server.requests == [], "the forbidden listener was reached"


def listeners_on_one_port(*hosts: str) -> list[FeedServer]:
    """Servers on the same port of each host: a name's two DNS answers then differ by address only."""
    for _ in range(20):
        first = FeedServer(hosts[0])
        try:
            return [first, *(FeedServer(host, first.port) for host in hosts[1:])]
        except OSError:  # that port is taken on the other address: try another
            first.close()
    raise RuntimeError("no port free on all of " + ", ".join(hosts))


class RebindingResolver:
    """DNS (the one part faked here) answering an allowed address first, then a forbidden one."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_dns_rebinding_cannot_swap_the_checked_address():
    checked, forbidden = listeners_on_one_port("127.0.0.2", "127.0.0.1")
    resolver = RebindingResolver(["127.0.0.2"], ["127.0.0.1"])
    policy = FetchPolicy(attempts=1, allowed_networks=parse_networks("127.0.0.2/32"))
    try:
        for server, body in ((checked, b"public page"), (forbidden, b"internal page")):
            server.routes["/page"] = Reply(200, body, {**HTML, "Connection": "close"})
        url = f"http://rebinding.example:{checked.port}/page"
        with Fetcher(policy, resolve=resolver) as fetcher:
            first = fetcher.fetch(url)
        with Fetcher(policy, resolve=resolver) as fetcher, pytest.raises(FetchError, match=REFUSED_LOOPBACK):
            fetcher.fetch(url)
    finally:
        checked.close()
        forbidden.close()
    assert first.content == b"public page"
    assert resolver.asked == ["rebinding.example", "rebinding.example"], "one lookup per connection, no second one"
    assert len(checked.requests) == 1 and forbidden.requests == []


def test_a_name_with_one_forbidden_answer_among_public_ones_is_refused(feed_server):
    resolver = RebindingResolver(["151.101.2.133", "127.0.0.1"])
    with Fetcher(NO_ALLOWANCE, resolve=resolver) as fetcher, pytest.raises(FetchError, match=r"to 127\.0\.0\.1 \("):
        fetcher.fetch(f"http://mixed.example:{feed_server.port}/page")
    assert feed_server.requests == []


def test_a_proxy_in_the_environment_is_not_used(feed_server, monkeypatch):
    proxy = FeedServer("127.0.0.2")
    try:
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url(""))
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        feed_server.routes["/feed"] = Reply(200, b"direct", HTML)
        with Fetcher(TO_FEED_SERVER) as fetcher:
            assert fetcher.fetch(feed_server.url("/feed")).content == b"direct"
    finally:
        proxy.close()
    assert proxy.requests == [] and len(feed_server.requests) == 1


def test_a_refused_full_text_page_keeps_the_feed_s_text(feed_server):
    feed_server.routes["/admin"] = Reply(200, b"<html><body><p>" + b"internal " * 200 + b"</p></body></html>", HTML)
    article = teaser(0, f"http://localhost:{feed_server.port}/admin")
    with Fetcher(NO_ALLOWANCE) as fetcher:
        kept, problem = with_full_text(article, fetcher)
    assert kept == article
    assert problem.startswith("page not fetched: refused: localhost resolves to 127.0.0.1 (loopback)")
    assert feed_server.requests == []


# Item 3: a server that trickles holds a fetch until its deadline, no longer.

TRICKLED_FEED = rss_with_links(
    ("t1", "Hama", "Des tirs de mortier ont visé Hama." + " " * 300, "http://example.org/t1")
)
MARGIN = 1.5  # seconds past a deadline a fetch may take to notice it and close: generous, the machine is shared


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_server_trickling_one_byte_a_second_is_cut_at_the_fetch_deadline(feed_server, headers_too):
    feed_server.routes["/slow"] = Reply(200, TRICKLED_FEED, RSS, trickle=1.0, trickle_headers=headers_too)
    policy = FetchPolicy(timeout_seconds=20, attempts=3, deadline_seconds=2.5, allowed_networks=ALLOW_FEED_SERVER)
    started = time.monotonic()
    with Fetcher(policy) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(feed_server.url("/slow"))
    elapsed = time.monotonic() - started
    print(f"\ntrickled {'headers and body' if headers_too else 'body'}: cut after {elapsed:.2f} s (deadline 2.5 s)")
    assert str(caught.value) == "no complete response within the 2.5 s deadline (VEILLE_FETCH_DEADLINE_SECONDS)"
    assert elapsed < 2.5 + MARGIN
    assert len(feed_server.hits("/slow")) == 1, "no second attempt once the deadline has passed"


def test_retries_stop_at_the_deadline(feed_server):
    feed_server.routes["/down"] = Reply(503, b"unavailable")
    policy = FetchPolicy(attempts=10, backoff_seconds=0.4, deadline_seconds=1.5, allowed_networks=ALLOW_FEED_SERVER)
    started = time.monotonic()
    expected = r"^HTTP 503 Service Unavailable \(after 3 attempts; no time for another within the 1\.5 s deadline\)$"
    with Fetcher(policy) as fetcher, pytest.raises(FetchError, match=expected):
        fetcher.fetch(feed_server.url("/down"))
    assert time.monotonic() - started < 1.5 + MARGIN
    assert len(feed_server.hits("/down")) == 3  # 0.4 s, then 0.8 s of backoff; 1.6 s more would pass the deadline


def test_a_wait_for_a_free_pooled_connection_ends_at_the_deadline_too(feed_server):
    feed_server.routes["/slow"] = Reply(200, TRICKLED_FEED, RSS, trickle=1.0)
    policy = FetchPolicy(attempts=1, deadline_seconds=4, allowed_networks=ALLOW_FEED_SERVER)
    with Fetcher(policy) as fetcher, ThreadPoolExecutor(100) as pool:
        holding = [pool.submit(fetcher.fetch, feed_server.url("/slow")) for _ in range(100)]  # the pool's 100
        while len(feed_server.hits("/slow")) < 100:
            time.sleep(0.05)
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"^no complete response within the 1 s left to it$"):
            fetcher.fetch(feed_server.url("/slow"), until=started + 1)
        elapsed = time.monotonic() - started
        for future in holding:
            with pytest.raises(FetchError):
                future.result()
    assert elapsed < 1 + MARGIN, f"waited {elapsed:.1f} s for a connection the others held until their deadline"


def test_a_dns_lookup_that_never_answers_is_cut_at_the_deadline():
    def silent(host: str, port: int) -> list[str]:
        time.sleep(30)
        return ["151.101.2.133"]

    started = time.monotonic()
    policy = FetchPolicy(attempts=2, deadline_seconds=1.5)
    with Fetcher(policy, resolve=silent) as fetcher, pytest.raises(FetchError, match="deadline"):
        fetcher.fetch("http://silent-dns.example/feed")
    assert time.monotonic() - started < 1.5 + MARGIN


def test_full_text_fetching_stops_when_its_budget_is_spent_and_the_rest_keep_the_feed_s_text(feed_server):
    for outlet in range(6):
        feed_server.routes[f"/slow{outlet}"] = Reply(200, wire_page(outlet), HTML, trickle=0.5)
    articles = [teaser(n, feed_server.url(f"/slow{n}")) for n in range(6)]
    policy = FetchPolicy(attempts=1, deadline_seconds=1.0, allowed_networks=ALLOW_FEED_SERVER)
    started = time.monotonic()
    with Fetcher(policy) as fetcher:
        outcome = with_full_texts(articles, fetcher, budget_seconds=2.5)
    elapsed = time.monotonic() - started
    assert outcome.articles == articles, "every entry keeps its feed's text"
    assert elapsed < 2.5 + MARGIN
    # About 1 s per page: pages 1 and 2 end at their deadline, page 3 at the budget, pages 4 to 6 are not tried.
    *cut_by_deadline, last = [problem for _, problem in outcome.problems]
    assert len(outcome.problems) + outcome.untried == 6 and outcome.untried >= 2
    assert cut_by_deadline == [
        "page not fetched: no complete response within the 1 s deadline (VEILLE_FETCH_DEADLINE_SECONDS)"
    ] * len(cut_by_deadline)
    assert last == "page not fetched: the run's full-text budget ran out (VEILLE_FULL_TEXT_BUDGET_SECONDS)"
    assert len(feed_server.requests) == len(outcome.problems)


@pytest.mark.usefixtures("prefect_harness")
def test_a_trickling_feed_fails_in_one_line_and_the_run_goes_on(workdir, feed_server, monkeypatch):
    feed_server.routes["/slow"] = Reply(200, TRICKLED_FEED, RSS, trickle=1.0)
    feed_server.routes["/good"] = Reply(
        200, rss_with_links(("g1", "Raqqa", "Des combats ont repris à Raqqa ce matin.", "http://example.org/g1")), RSS
    )
    write_sources(
        workdir, [{"name": "slow", "url": feed_server.url("/slow")}, {"name": "good", "url": feed_server.url("/good")}]
    )
    monkeypatch.setenv("VEILLE_FETCH_ALLOWED_NETWORKS", "127.0.0.1/32")
    monkeypatch.setenv("VEILLE_FETCH_DEADLINE_SECONDS", "3")

    started = time.monotonic()
    summary = run_monitor()
    elapsed = time.monotonic() - started

    print(f"\nmonitor run with one feed trickling 1 byte/s (deadline 3 s): {elapsed:.1f} s")
    assert {name for a in summary.alerts for name in a.entries} == {"Raqqa"}
    assert "feed:slow: FAILED: no complete response within the 3 s deadline (VEILLE_FETCH_DEADLINE_SECONDS)" in (
        summary.render()
    )
    assert elapsed < 60, "the run waited for the trickle rather than the deadline"


@pytest.mark.usefixtures("prefect_harness")
def test_a_feed_whose_task_outlives_its_timeout_is_that_feed_s_failure(workdir, feed_server, monkeypatch, caplog):
    feed_server.routes["/slow"] = Reply(200, TRICKLED_FEED, RSS, trickle=0.2)
    feed_server.routes["/good"] = Reply(
        200, rss_with_links(("g1", "Raqqa", "Des combats ont repris à Raqqa ce matin.", "http://example.org/g1")), RSS
    )
    write_sources(
        workdir, [{"name": "slow", "url": feed_server.url("/slow")}, {"name": "good", "url": feed_server.url("/good")}]
    )
    monkeypatch.setenv("VEILLE_FETCH_ALLOWED_NETWORKS", "127.0.0.1/32")
    monkeypatch.setenv("VEILLE_FETCH_DEADLINE_SECONDS", "30")  # the backstop is what must stop this one
    monkeypatch.setenv("VEILLE_NETWORK_TASK_TIMEOUT_SECONDS", "2")

    started = time.monotonic()
    summary = run_monitor()
    elapsed = time.monotonic() - started

    assert {name for a in summary.alerts for name in a.entries} == {"Raqqa"}
    assert (
        "feed:slow: FAILED: its fetch_feeds task took longer than its 2 s timeout (VEILLE_NETWORK_TASK_TIMEOUT_SECONDS)"
    ) in summary.render()
    assert elapsed < 25
    assert not [r for r in caplog.records if "running in a worker thread" in r.getMessage()], (
        "Prefect's warning that a thread's timeout waits for blocking calls: here the deadline bounds them"
    )


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_s_full_text_budget_bounds_slow_pages_and_their_entries_keep_the_feed_s_text(
    workdir, feed_server, monkeypatch, caplog
):
    links = []
    for n in range(4):
        feed_server.routes[f"/page{n}"] = Reply(200, wire_page(n), HTML, trickle=0.5)
        links.append(
            (f"s{n}", f"Dépêche {n}", f"Des tirs de mortier ont visé Hama, dépêche {n}.", feed_server.url(f"/page{n}"))
        )
    feed_server.routes["/rss"] = Reply(200, rss_with_links(*links), RSS)
    write_sources(workdir, [{"name": "presse", "url": feed_server.url("/rss"), "full_text": "true"}])
    monkeypatch.setenv("VEILLE_FETCH_ALLOWED_NETWORKS", "127.0.0.1/32")
    monkeypatch.setenv("VEILLE_FULL_TEXT_BUDGET_SECONDS", "2")

    started = time.monotonic()
    summary = run_monitor()
    elapsed = time.monotonic() - started

    assert summary.new == 4 and {name for a in summary.alerts for name in a.entries} == {"Hama", "mortier"}
    assert len(feed_server.requests) < 1 + 4, "pages were fetched after the budget was spent"
    assert [r.getMessage() for r in caplog.records if "budget" in r.getMessage() and r.levelname == "WARNING"] == [
        f"full-text budget of 2 s spent: {5 - len(feed_server.requests)} of 4 new entries keep their feed's text "
        "(VEILLE_FULL_TEXT_BUDGET_SECONDS)"
    ]
    assert elapsed < 40, "each ~1000-byte page trickled at 2 bytes a second would take minutes"
