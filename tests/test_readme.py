"""The README's promises, checked as a user meets them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CONFIG, ROOT, SEEDS
from tests.seed_alerts import EXPECTED_SEED_ALERTS


def test_readme_opens_with_the_run_test_and_operate_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make run", "make test", "make operate"]
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.e2e
def test_the_run_command_alerts_once_and_is_quiet(tmp_path):
    """`veille run` (what `make run` calls), twice, in a project-like folder, as on a fresh machine: no
    Prefect home yet (it is made in data/prefect)."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    shutil.copytree(CONFIG, tmp_path / "config")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEILLE_", "PREFECT_"))}

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(Path(sys.executable).with_name("veille")), "run"],
            cwd=tmp_path,
            env=env | {"PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
        )

    first = run()
    output = first.stdout + first.stderr
    assert first.returncode == 0, output
    for noise in ("Traceback", "ERROR", "WARNING", "analytics", "telemetry"):
        assert noise not in output, f"{noise!r} in a normal run:\n{output}"
    assert "Veille monitor: 2 alerts, 2 sent" in output
    assert "alerts:        2 created, 11 entries in them" in output
    lines = [json.loads(line) for line in (tmp_path / "data" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    expected = len(EXPECTED_SEED_ALERTS)  # one message per article, listing its entries
    assert len(lines) == expected
    for line in lines:
        file = line["fields"]["article"]["location"].rsplit("/", 1)[-1]
        assert {entry["id"] for entry in line["fields"]["entries"]} >= EXPECTED_SEED_ALERTS[file]
    assert any("written «Deir Ezzor»" in line["body"] for line in lines)

    second = run()
    assert second.returncode == 0
    assert "alerts:        0 created (nothing new)" in second.stdout + second.stderr
    assert len((tmp_path / "data" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()) == expected
    assert (tmp_path / "data" / "prefect" / "prefect.db").exists(), "both runs are for `veille operate`'s UI to show"


@pytest.mark.e2e
def test_a_bad_setting_stops_the_run_command_in_one_line(tmp_path):
    env = dict(os.environ, VEILLE_BATCH_SIZE="0", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "flows.monitor"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "veille: invalid setting VEILLE_BATCH_SIZE: Input should be greater than 0"


def test_the_readme_screenshots_are_there():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert "docs/deployment.png" in images and "docs/monitor-summary-artifact.png" in images
    for image in images:
        assert (ROOT / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
