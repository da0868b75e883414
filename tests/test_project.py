"""The project's own bookkeeping: one version, which the package and the User-Agent name."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

import veille
from tests.conftest import ROOT
from tests.feedserver import ALLOW_FEED_SERVER, Reply, rss
from veille.ingest.fetch import Fetcher, FetchPolicy


def test_the_version_is_written_once_in_veille_init_and_read_from_there_by_the_build():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"], "pyproject.toml must not write the version a second time"
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "veille.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", veille.__version__)


def test_the_installed_package_reports_the_version_of_veille_init():
    # Stale when veille/__init__.py changed its version since the last install: `make install` reinstalls then.
    assert importlib.metadata.version("veille") == veille.__version__


def test_feeds_are_fetched_with_a_user_agent_naming_this_version(feed_server):
    feed_server.routes["/feed"] = Reply(200, rss(("1", "Titre", "Texte")), {"Content-Type": "application/rss+xml"})
    with Fetcher(FetchPolicy(attempts=1, allowed_networks=ALLOW_FEED_SERVER)) as fetcher:
        fetcher.fetch(feed_server.url("/feed"))
    (request,) = feed_server.hits("/feed")
    assert request.headers["user-agent"].startswith(f"Veille/{veille.__version__} (news monitoring; +https://")

