"""`veille operate`: a local Prefect server with its UI, and Veille's deployments served on their schedules.

The server keeps its own SQLite database under the data directory (PREFECT_HOME, unless set). With
--api-url, no server is started: the deployments are served against that long-lived one. Ctrl-C
stops both, the deployments first.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from flows.common import load_configuration
from flows.environment import with_offline_defaults
from flows.prefect_home import forget_server, home_folder, record_server
from veille.errors import VeilleError
from veille.schedules import load_schedules

_STARTUP_SECONDS = 120
_STOP_SECONDS = 30
# Prefect's basic authentication: the server checks the first, its clients send the second.
_SERVER_AUTH = "PREFECT_SERVER_API_AUTH_STRING"
_CLIENT_AUTH = "PREFECT_API_AUTH_STRING"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.splitlines()[0]
    parser.add_argument("--host", default="127.0.0.1", help="address of the local server (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4200, help="port of the local server and its UI (default 4200)")
    parser.add_argument("--api-url", help="serve against this running Prefect server instead of starting one")


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.operate`, the same as `veille operate`."""
    parser = argparse.ArgumentParser(prog="python -m flows.operate")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    # A service manager stops us with SIGTERM: stop the children as for Ctrl-C, not orphan them.
    signal.signal(signal.SIGTERM, _interrupt)
    # Started in the background by a shell (`make operate &`, nohup), SIGINT comes ignored: Ctrl-C and
    # `kill -INT` must still stop it in order.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        config = load_configuration(with_blocks=False)
        load_schedules(config.settings.schedules_file)
    except VeilleError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 2
    env = with_offline_defaults(os.environ)
    if not args.api_url:
        problem = exposure_problem(args.host, env)
        if problem:
            print(f"veille: {problem}", file=sys.stderr)
            return 2
        if env.get(_SERVER_AUTH):
            # The deployments and every run they start talk to this server: they need its password.
            env.setdefault(_CLIENT_AUTH, env[_SERVER_AUTH])
    env.setdefault("PREFECT_HOME", str(home_folder(config.settings.data_dir)))
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        if args.api_url:
            api_url = args.api_url.rstrip("/")
            print(f"Serving Veille's deployments against {api_url}", flush=True)
        else:
            server = children["the Prefect server"] = start_server(args.host, args.port, env)
            api_url = f"http://{args.host}:{args.port}/api"
            if not wait_until_healthy(api_url, server):
                print(f"veille: the Prefect server did not start; see {server_log(env)}", file=sys.stderr)
                return 1
            print(f"Prefect UI: http://{args.host}:{args.port}  (server log: {server_log(env)})", flush=True)
        # The other commands (`veille run`, replay, ...) record their runs on this server while it is up.
        problem = record_server(
            config.settings.data_dir, api_url, None if args.api_url else f"http://{args.host}:{args.port}"
        )
        if problem:  # the deployments serve all the same; only command-line runs miss this server
            print(f"veille: warning: {problem}: command-line runs will record elsewhere", file=sys.stderr)
        print('For Prefect\'s own command line: eval "$(veille env)"', flush=True)
        # Own sessions: Ctrl-C reaches this process only, which stops the children in order.
        children["the deployments"] = subprocess.Popen(
            [sys.executable, "-m", "flows.deployments"], env=env | {"PREFECT_API_URL": api_url}, start_new_session=True
        )
        while all(child.poll() is None for child in children.values()):
            time.sleep(0.5)
        name, ended = next((name, child) for name, child in children.items() if child.poll() is not None)
        print(f"veille: {name} stopped (exit {ended.returncode}); stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("veille: stopping", file=sys.stderr)
        return 0
    finally:
        forget_server(config.settings.data_dir)
        # The deployments first (they pause their schedules through the server), then the server.
        for child in reversed(children.values()):
            stop(child)


def _veille_command() -> str:
    """How this shell calls `veille`: by its name when it is on the PATH, else by its path in the venv."""
    installed = Path(sys.executable).with_name("veille")
    on_path = shutil.which("veille")
    if on_path and Path(on_path).resolve() == installed.resolve():
        return "veille"
    return str(installed) if installed.exists() else "veille"


def exposure_problem(host: str, env: dict[str, str]) -> str | None:
    """Why serving Prefect's API on `host` would be unsafe, or None.

    Whoever reaches that API reads the Secret blocks (tokens of the targets) and starts any flow with
    any parameter; on a loopback address only this machine's users can, elsewhere the API must ask
    for a password.
    """
    if _is_loopback(host) or env.get(_SERVER_AUTH):
        return None
    return (
        f"--host {host} would open Prefect's API (Secret blocks, runs with any parameter) to the network "
        f"without a password: set {_SERVER_AUTH}='user:password' (and put TLS in front), or keep 127.0.0.1"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def start_server(host: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    if not port_is_free(host, port):
        raise SystemExit(f"veille: {host}:{port} is taken (another Prefect server?); choose another with --port")
    server_env = env | {
        # The UI asks this address for its data; Prefect's default is port 4200 whatever --port says.
        "PREFECT_SERVER_UI_API_URL": env.get("PREFECT_SERVER_UI_API_URL", f"http://{host}:{port}/api"),
        "PREFECT_SERVER_LOGGING_LEVEL": env.get("PREFECT_SERVER_LOGGING_LEVEL", "WARNING"),
        # A run queued behind a running monitor asks again for its slot this often (Prefect's default, 30 s,
        # leaves a manual run waiting up to half a minute after the one ahead has ended).
        "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": env.get(
            "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS", "5"
        ),
        # Task runs are ingested in batches of 100 instead of one by one: about 5x faster here.
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": env.get(
            "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE", "100"
        ),
    }
    prefect = Path(sys.executable).with_name("prefect")
    # The server writes to its own copy of the descriptor: ours is closed once it has started.
    with open(server_log(env), "a", encoding="utf-8") as log:
        return subprocess.Popen(
            [str(prefect), "server", "start", "--host", host, "--port", str(port)],
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def server_log(env: dict[str, str]) -> Path:
    return Path(env["PREFECT_HOME"]) / "server.log"


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_healthy(api_url: str, server: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def stop(child: subprocess.Popen[bytes]) -> None:
    """SIGINT (what Ctrl-C sends), then SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGINT, _STOP_SECONDS), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if child.poll() is not None:
            return
        child.send_signal(sig)
        try:
            child.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


if __name__ == "__main__":
    sys.exit(main())
