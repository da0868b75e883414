"""When the deployments run: config/schedules.yaml, checked with Prefect's own cron and timezone rules."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from veille.yamlfile import LocatedValueError, load_yaml


class FlowSchedule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cron: str = Field(min_length=1, description="Standard five-field cron expression.")
    active: bool = Field(True, description="false: the deployment is served but runs only by hand.")


class SchedulesConfig(BaseModel):
    """The monitor's and the digest's schedules, in one explicit timezone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = Field(description="IANA timezone the cron expressions are read in, e.g. Europe/Paris or UTC.")
    monitor: FlowSchedule = FlowSchedule(cron="*/15 * * * *")
    digest: FlowSchedule = FlowSchedule(cron="0 7 * * *")

    @model_validator(mode="after")
    def _prefect_accepts(self) -> SchedulesConfig:
        from prefect.client.schemas.schedules import CronSchedule
        from pydantic import ValidationError

        for name in ("monitor", "digest"):
            try:
                CronSchedule(cron=getattr(self, name).cron, timezone=self.timezone)
            except ValidationError as exc:
                problem = exc.errors()[0]
                where = ("timezone",) if "timezone" in str(problem["loc"]) else (name, "cron")
                raise LocatedValueError(where, problem["msg"].removeprefix("Value error, ")) from None
        return self


def load_schedules(path: Path) -> SchedulesConfig:
    """Load config/schedules.yaml; a problem raises ConfigError naming file, line and key."""
    return load_yaml(path).validate(SchedulesConfig)
