"""Settings, watch list and targets files: a bad value stops the run with file, line and key."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import CONFIG
from veille.errors import ConfigError
from veille.notify.targets import load_notifier
from veille.settings import load_settings
from veille.watchlist import load_watchlist


def test_defaults_and_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VEILLE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VEILLE_BATCH_SIZE", "8")
    settings = load_settings()
    assert settings.batch_size == 8
    assert settings.database_url_value == f"sqlite:///{tmp_path / 'veille.db'}"
    assert settings.alerts_file == tmp_path / "alerts.jsonl"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VEILLE_BATCH_SIZE", "-1", "VEILLE_BATCH_SIZE: Input should be greater than 0"),
        ("VEILLE_BATCH_SIZE", "many", "VEILLE_BATCH_SIZE: Input should be a valid integer"),
        ("VEILLE_MAX_DELIVERY_ATTEMPTS", "0", "VEILLE_MAX_DELIVERY_ATTEMPTS"),
        ("VEILLE_DATABASE_URL", " ", "VEILLE_DATABASE_URL: Value error, must not be empty"),
        ("VEILLE_SOURCE_FAILURES_ALERT", "0", "VEILLE_SOURCE_FAILURES_ALERT: Input should be greater than or equal"),
    ],
)
def test_a_wrong_setting_names_itself_in_one_line(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_secret_setting_is_never_echoed(monkeypatch):
    monkeypatch.setenv("VEILLE_DATABASE_URL", "postgresql://u:canary-s3cret@h/db")
    monkeypatch.setenv("VEILLE_BATCH_SIZE", "x")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "canary-s3cret" not in str(caught.value)


def test_the_shipped_watch_list_covers_the_region(watchlist):
    ids = {entry.id for entry in watchlist.entries}
    assert ids >= {"deir-ez-zor", "al-boukamal", "raqqa", "hama", "palmyre", "alep", "idlib"}
    assert ids >= {"kalibr", "tu-22m3", "mortier", "kalachnikov", "hummer"}
    assert watchlist.get("deir-ez-zor").coordinates is not None


def write(tmp_path, text: str):
    path = tmp_path / "watchlist.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


GOOD_ENTRY = """
entries:
  - id: hama
    kind: place
    name: Hama
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("entries:\n  - id: hama\n    kind: [unclosed\n", ":4: invalid YAML: expected ',' or ']'"),
        (
            "entries:\n  - id: hama\n    kind: town\n    name: Hama\n",
            ":3: entries[0].kind: Input should be 'place' or 'weapon'",
        ),
        ("entries:\n  - id: hama\n    kind: place\n", ":2: entries[0].name: Field required"),
        ("entries:\n  - id: Hama City\n    kind: place\n    name: Hama\n", ":2: entries[0].id: String should match"),
        (GOOD_ENTRY + "    alias: [Hamah]\n", ":5: entries[0].alias: Extra inputs are not permitted"),
        (GOOD_ENTRY + "    aliases: ['', Hamah]\n", ":5: entries[0].aliases: alias '' has no letter"),
        (GOOD_ENTRY + "    aliases: ['--']\n", ":5: entries[0].aliases: alias '--'"),
        (GOOD_ENTRY + "    coordinates: [135, 36]\n", ":5: entries[0].coordinates: must be [latitude"),
        (GOOD_ENTRY + "  - id: hama\n    kind: place\n    name: Hamah\n", ":5: entries[1].id: id 'hama' already used"),
        (
            GOOD_ENTRY + "  - id: hamah\n    kind: place\n    name: HAMA\n",
            ":7: entries[1].name: 'HAMA' already names entry 'hama'",
        ),
        (GOOD_ENTRY + "    kind: weapon\n", ":5: entries[0].kind: key repeated"),
        ("entries: []\n", ":1: entries: Tuple should have at least 1 item"),
        ("- just a list\n", ":1: Input should be a valid dictionary"),
    ],
)
def test_a_malformed_watch_list_names_file_line_and_key(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_watchlist(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert expected in message


def test_a_missing_watch_list_says_so(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_watchlist(tmp_path / "absent.yaml")


def targets(tmp_path, text: str):
    path = tmp_path / "targets.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_the_shipped_targets_file_loads(tmp_path):
    notifier = load_notifier(CONFIG / "targets.yaml", None, tmp_path / "alerts.jsonl")
    assert [t.label for t in notifier.targets] == ["veille://"]
    assert notifier.targets_for(["alerts", "place", "hama"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\nurls:\n  - veille://\n  - nosuchschema://x\n",
            ":4: urls[1]: not a URL apprise can use (nosuchschema://...)",
        ),
        ("version: 1\nurls:\n  - json://localhost:\n    tag: [a\n", "invalid YAML"),
        ("version: 1\nurls: []\n", ":2: urls: must be a non-empty list"),
        ("version: 1\ninclude: http://x\nurls:\n  - veille://\n", ":2: include: unknown key"),
        ("version: 1\nurls:\n  - [veille://]\n", ":3: urls[0]: each item is a URL"),
    ],
)
def test_a_malformed_targets_file_names_file_line_and_problem(tmp_path, text, expected):
    with pytest.raises(ConfigError) as caught:
        load_notifier(targets(tmp_path, text), None, tmp_path / "alerts.jsonl")
    assert expected in str(caught.value)


def test_no_target_at_all_names_the_variable_to_set_not_a_file_called_none(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_notifier(None, "  ", tmp_path / "alerts.jsonl")
    assert str(caught.value) == "no notification target: set VEILLE_NOTIFY_URLS"


def test_tags_route_alerts(tmp_path):
    path = targets(
        tmp_path,
        """
        version: 1
        urls:
          - json://127.0.0.1:9/all:
          - json://127.0.0.1:9/weapons:
              tag: weapon
          - json://127.0.0.1:9/hama:
              tag: hama, operator
          - json://127.0.0.1:9/always:
              tag: always
        """,
    )
    notifier = load_notifier(path, None, tmp_path / "alerts.jsonl")
    paths = {t.key: t.server.url(privacy=False).split("?", 1)[0].rsplit("/", 1)[-1] for t in notifier.targets}

    def routed(*tags):
        return sorted(paths[ref.key] for ref in notifier.targets_for(list(tags)))

    assert routed("alerts", "weapon", "kalibr") == ["all", "always", "weapons"]
    assert routed("alerts", "place", "hama") == ["all", "always", "hama"]
    assert routed("alerts", "place", "raqqa") == ["all", "always"]


def test_urls_with_tokens_come_from_the_environment_and_stay_secret(tmp_path):
    env = "weapon,hama=json://user:canary-token@127.0.0.1:9/hook json://127.0.0.1:9/plain"
    notifier = load_notifier(CONFIG / "targets.yaml", env, tmp_path / "alerts.jsonl")
    labels = [t.label for t in notifier.targets]
    assert len(labels) == 3
    assert not any("canary-token" in label for label in labels)
    assert {tuple(sorted(t.tags)) for t in notifier.targets} >= {("hama", "weapon")}


def test_a_bad_url_in_the_environment_is_named_by_position_not_echoed(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_notifier(CONFIG / "targets.yaml", "json://ok.example nosuch://canary-token@x", tmp_path / "a.jsonl")
    assert "VEILLE_NOTIFY_URLS: item 2" in str(caught.value)
    assert "canary-token" not in str(caught.value)


def test_an_apprise_parser_crash_becomes_a_config_error(tmp_path):
    # apprise 1.13 raises KeyError('password') on a custom schema with a query string as a YAML key.
    path = targets(tmp_path, "version: 1\nurls:\n  - veille://?console=no:\n      tag: alerts\n")
    with pytest.raises(ConfigError, match=r"targets\.yaml: apprise cannot read this file"):
        load_notifier(path, None, tmp_path / "alerts.jsonl")
