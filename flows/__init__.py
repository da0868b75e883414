"""Veille's Prefect flows.

Prefect reads its settings when it is first imported, so the defaults for an offline machine
are set here, before any flow module imports it; a value already in the environment wins.
"""

import os

for _name, _value in {
    # This machine (and many a user's) is offline: no telemetry, and no errors about it.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # A one-shot run starts a throw-away server; its access log is noise.
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    # Its first start creates its database, which takes longer than Prefect's 20 s default here.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}.items():
    os.environ.setdefault(_name, _value)
