"""The deployments as `make operate` serves them: schedules from config, forms, concurrency."""

from __future__ import annotations

import pytest
from prefect.client.orchestration import get_client

from flows.deployments import build_deployments
from tests.conftest import CONFIG
from veille.errors import ConfigError
from veille.schedules import SchedulesConfig, load_schedules


def test_the_shipped_schedules_are_every_15_minutes_and_daily_in_an_explicit_timezone():
    schedules = load_schedules(CONFIG / "schedules.yaml")

    assert (schedules.timezone, schedules.monitor.cron, schedules.digest.cron) == ("UTC", "*/15 * * * *", "0 7 * * *")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("monitor:\n  cron: '*/15 * * * *'\n", "schedules.yaml:1: timezone: Field required"),
        ("timezone: Europe/Pariss\n", 'schedules.yaml:1: timezone: Invalid timezone: "Europe/Pariss"'),
        ("timezone: UTC\ndigest:\n  cron: '0 25 * * *'\n", 'schedules.yaml:3: digest.cron: Invalid cron string'),
        ("timezone: UTC\nmonitor:\n  every: 15\n", "schedules.yaml:2: monitor.cron: Field required"),
    ],
)
def test_a_wrong_schedule_names_the_line_and_key(tmp_path, content, expected):
    path = tmp_path / "schedules.yaml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        load_schedules(path)

    assert expected in str(error.value)


@pytest.mark.usefixtures("prefect_harness")
def test_the_schedules_are_registered_as_configured():
    schedules = SchedulesConfig.model_validate({
        "timezone": "Europe/Paris",
        "monitor": {"cron": "*/5 6-22 * * *"},
        "digest": {"cron": "30 7 * * 1-5", "active": False},
    })
    for deployment in build_deployments(schedules):
        deployment.apply()

    with get_client(sync_client=True) as client:
        monitor = client.read_deployment_by_name("monitor/monitor")
        digest = client.read_deployment_by_name("digest/digest")
        replay = client.read_deployment_by_name("replay/replay")

    [monitor_schedule] = monitor.schedules
    assert (monitor_schedule.schedule.cron, monitor_schedule.schedule.timezone, monitor_schedule.active) == (
        "*/5 6-22 * * *", "Europe/Paris", True)
    [digest_schedule] = digest.schedules
    assert (digest_schedule.schedule.cron, digest_schedule.schedule.timezone, digest_schedule.active) == (
        "30 7 * * 1-5", "Europe/Paris", False)
    assert replay.schedules == [], "replay runs by hand only"
    assert monitor.global_concurrency_limit.limit == 1
    assert monitor.concurrency_options.collision_strategy == "CANCEL_NEW"


@pytest.mark.usefixtures("prefect_harness")
def test_every_parameter_has_a_type_and_a_description_for_the_ui_form():
    for deployment in build_deployments(load_schedules(CONFIG / "schedules.yaml")):
        deployment.apply()
    with get_client(sync_client=True) as client:
        forms = {name: client.read_deployment_by_name(f"{name}/{name}").parameter_openapi_schema
                 for name in ("monitor", "digest", "replay")}

    assert set(forms["monitor"]["properties"]) == {"folder", "sources"}
    assert set(forms["replay"]["properties"]) == {"since", "until", "watchlist_file", "dry_run"}
    assert set(forms["digest"]["properties"]) == {"hours"}
    for name, form in forms.items():
        for parameter, schema in form["properties"].items():
            assert schema.get("description"), f"{name}.{parameter} has no description"
            assert "type" in schema or "anyOf" in schema or "allOf" in schema, f"{name}.{parameter} has no type"
    assert forms["replay"]["properties"]["dry_run"]["default"] is True, "a replay is a dry run unless asked"
