"""The project's own bookkeeping: one version, which the package, the User-Agent and the changelog all name."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

import pytest

import veille
from tests.conftest import ROOT
from tests.feedserver import ALLOW_FEED_SERVER, Reply, rss
from veille.ingest.fetch import Fetcher, FetchPolicy

_RELEASE_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?$", re.M)


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


def test_the_changelog_has_an_unreleased_section_and_names_this_version_as_its_latest_release():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = [(m.group("version"), m.group("date")) for m in _RELEASE_HEADING.finditer(changelog)]
    assert headings[0] == ("Unreleased", None), "new entries go under ## [Unreleased], first"
    released = headings[1:]
    assert released and all(date for _, date in released), "each release heading is '## [x.y.z] - YYYY-MM-DD'"
    assert released[0][0] == veille.__version__, "bump veille.__version__ and the changelog together"


# A path in backquotes, and the name in backquotes right after it, if any: "`flows/monitor.py` `_run`".
_CODE_REFERENCE = re.compile(
    r"`((?:veille|flows|tasks|tests|bench|config)/[\w./-]+\.(?:py|yaml))`(?:\s+`([A-Za-z_]\w*)[.`])?"
)


@pytest.mark.parametrize("document", ["CONTRIBUTING.md", "docs/design.md"])
def test_the_engineers_documents_name_only_files_and_names_that_exist(document):
    text = (ROOT / document).read_text(encoding="utf-8")
    references = _CODE_REFERENCE.findall(text)
    assert len(references) > 20, "the pattern no longer finds the references"
    missing = []
    for path, name in references:
        source = ROOT / path
        if not source.is_file():
            missing.append(path)
        elif name and not re.search(rf"\b{re.escape(name)}\b", source.read_text(encoding="utf-8")):
            missing.append(f"{path} {name}")
    assert not missing, f"{document} names what is not there (moved or renamed?): {sorted(set(missing))}"
