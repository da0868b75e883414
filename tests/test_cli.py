"""`veille`, the console command, in-process: its help, its subcommands' help, and the mistakes said before any work.

The subcommands' runs are tested where their flows are (test_monitor_flow.py, test_replay.py, ...) and,
as a user types them, against a running `veille operate` in test_cli_prefect_home.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from flows.cli import SUBCOMMANDS, main
from flows.prefect_home import SERVER_RECORD, choose_server, export_lines, running_server
from tests.conftest import CONFIG


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder as a user has one (config/, an inbox), as the working directory; no VEILLE_ setting,
    no Prefect server or home of the caller's."""
    for name in list(os.environ):
        if name.startswith(("VEILLE_", "PREFECT_API", "PREFECT_HOME")):
            monkeypatch.delenv(name)
    shutil.copytree(CONFIG, tmp_path / "config")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "config" / "sources.yaml").write_text(
        "folders:\n  - path: inbox\nfeeds:\n  - name: syria-direct\n    url: https://syriadirect.org/feed/\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def veille(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit:  # argparse's --help and usage errors
        code = int(exit.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_veille_alone_and_help_list_every_subcommand_and_the_exit_codes(capsys):
    for argv in ((), ("--help",)):
        code, out, _ = veille(capsys, *argv)
        assert code == 0
        for name, sub in SUBCOMMANDS.items():
            assert f"    {name} " in out and sub.summary.split()[0] in out
        assert "2  bad configuration or usage" in out


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_subcommand_has_its_own_help(capsys, name):
    code, out, err = veille(capsys, name, "--help")
    assert (code, err) == (0, "")
    assert out.startswith(f"usage: veille {name}")
    assert "exit status:" in out


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [("rn", "'run'"), ("alert", "'alerts'"), ("operat", "'operate'"), ("xyzzy", "run, operate")],
)
def test_a_mistyped_subcommand_says_which_was_meant_and_exits_2(capsys, typed, suggestion):
    code, out, err = veille(capsys, typed)
    assert code == 2 and out == ""
    assert f"veille: {typed!r} is not a command" in err and suggestion in err


def test_run_with_a_mistyped_source_names_the_nearest_and_starts_nothing(project, capsys):
    code, _, err = veille(capsys, "run", "--sources", "feed:syria-diretc")
    assert code == 2
    assert "'feed:syria-diretc' (did you mean 'feed:syria-direct'?)" in err
    assert "known: feed:syria-direct, folder:" in err
    assert not (project / "data" / "prefect").exists(), "no Prefect server was started for a usage error"


def test_run_takes_a_folder_or_sources_not_both(project, capsys):
    code, _, err = veille(capsys, "run", "--folder", "inbox", "--sources", "folder:inbox")
    assert code == 2 and "give one of them" in err


def test_an_unknown_option_is_a_usage_error(project, capsys):
    code, _, err = veille(capsys, "run", "--folders", "inbox")
    assert code == 2 and "unrecognized arguments: --folders" in err


def test_digest_refuses_hours_out_of_range_before_starting_anything(project, capsys):
    code, _, err = veille(capsys, "digest", "--hours", "0")
    assert code == 2 and "--hours must be between 1 and 720, not 0" in err


def test_db_upgrade_creates_the_schema_then_says_it_is_the_latest(project, capsys):
    from veille.store.migrate import head_revision

    head = head_revision()
    code, out, _ = veille(capsys, "db", "version")
    assert code == 0 and "schema none (no database yet)" in out
    assert not (project / "data" / "veille.db").exists(), "version creates nothing"
    code, out, _ = veille(capsys, "db", "upgrade")
    assert code == 0 and out.strip().endswith(f"schema upgraded from none (a new database) to {head}")
    code, out, _ = veille(capsys, "db", "upgrade")
    assert code == 0 and out.strip().endswith(f"schema {head}; already the latest")


def test_db_hides_the_password_of_an_unreachable_database(project, capsys, monkeypatch):
    monkeypatch.setenv("VEILLE_DATABASE_URL", "postgresql+psycopg://veille:s3cret@127.0.0.1:1/veille")
    code, out, err = veille(capsys, "db", "upgrade")
    assert code == 1 and "s3cret" not in out + err
    assert "cannot read the database" in err


# Where runs are recorded: flows/prefect_home.py


def test_without_operate_runs_record_into_the_data_folders_prefect_home(project, capsys):
    chosen = choose_server(project / "data", {})
    assert chosen.settings == {"PREFECT_HOME": str((project / "data" / "prefect").resolve())}
    code, out, _ = veille(capsys, "env")
    assert code == 0
    assert f"export PREFECT_HOME={(project / 'data' / 'prefect').resolve()}" in out.splitlines()


def test_what_the_users_environment_sets_wins(project):
    assert choose_server(project / "data", {"PREFECT_API_URL": "http://prefect.example:4200/api"}).settings == {}
    assert choose_server(project / "data", {"PREFECT_HOME": "/srv/prefect"}).settings == {}
    assert export_lines(project / "data", {"PREFECT_API_URL": "http://prefect.example:4200/api"})[1:] == []


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server():
    server = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


def _record(data: Path, api_url: str, pid: int) -> None:
    data.mkdir(parents=True, exist_ok=True)
    (data / SERVER_RECORD).write_text(json.dumps({"api_url": api_url, "ui_url": None, "pid": pid}), encoding="utf-8")


def test_a_recorded_operate_server_that_answers_takes_the_runs(project, health_server, capsys):
    _record(project / "data", health_server, os.getpid())
    assert choose_server(project / "data", {"PREFECT_HOME": "/srv/prefect"}).settings == {}, "the user's home wins"
    assert running_server(project / "data") == (health_server, None)
    assert choose_server(project / "data", {}).settings == {"PREFECT_API_URL": health_server}
    code, out, _ = veille(capsys, "env")
    assert code == 0 and f"export PREFECT_API_URL={health_server}" in out.splitlines()


def test_a_record_left_by_a_killed_operate_is_ignored(project, health_server):
    ended = subprocess.Popen(["true"])
    ended.wait()
    _record(project / "data", health_server, ended.pid)
    assert running_server(project / "data") is None, "its process is gone"
    _record(project / "data", "http://127.0.0.1:9/api", os.getpid())
    assert running_server(project / "data") is None, "its server does not answer"
    (project / "data" / SERVER_RECORD).write_text("{not json", encoding="utf-8")
    assert running_server(project / "data") is None
    assert "PREFECT_HOME" in choose_server(project / "data", {}).settings


def test_a_server_that_answers_with_an_error_is_not_used(project, health_server, monkeypatch):
    monkeypatch.setattr(_Health, "status", 503)
    _record(project / "data", health_server, os.getpid())
    assert running_server(project / "data") is None


def test_a_misspelt_veille_variable_is_a_warning_with_the_setting_it_was_likely_meant_to_be(
    project, capsys, monkeypatch
):
    import flows.common

    monkeypatch.setattr(flows.common, "_warned", set())
    monkeypatch.setenv("VEILLE_DATABSE_URL", "sqlite:///elsewhere.db")
    code, _, err = veille(capsys, "db", "version")
    assert code == 0
    assert err.count("VEILLE_DATABSE_URL") == 1 and "did you mean VEILLE_DATABASE_URL?" in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["replay", "--try-rules", "--send"], "--try-rules is a dry run: it cannot --send"),
        (["replay", "--since", "last week"], "argument --since: invalid fromisoformat value: 'last week'"),
        (["release", "twelve"], "argument ID: invalid int value: 'twelve'"),
        (["watch", "explain"], "explain takes a TEXT or --file, one of them"),
        (["outbox"], "the following arguments are required: COMMAND"),
        (["db", "downgrade"], "invalid choice: 'downgrade'"),
    ],
)
def test_the_likely_mistakes_of_each_command_exit_2_before_any_work(project, capsys, argv, says):
    code, _, err = veille(capsys, *argv)
    assert code == 2 and says in err
    assert not (project / "data" / "prefect").exists(), "no Prefect server was started"


def test_a_data_folder_operate_cannot_write_is_said_in_one_line_and_nothing_is_recorded(project):
    from flows.prefect_home import record_server

    (project / "data").write_text("a file where the folder goes", encoding="utf-8")
    problem = record_server(project / "data", "http://127.0.0.1:4200/api", None)
    assert problem is not None and problem.startswith(f"cannot write {project / 'data' / SERVER_RECORD} (")
    assert "\n" not in problem
    assert running_server(project / "data") is None
