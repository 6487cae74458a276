"""Start real `reportqa` processes for tests: the CLI and the HTTP server.

Tests that need "the real server" run `reportqa serve` as a subprocess on a
free port and talk to it over HTTP, exactly as a user's browser would.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEALTH_TIMEOUT_S = 180.0


def reportqa_command() -> list[str]:
    """The `reportqa` console script next to this interpreter, else `python -m reportqa.cli`."""
    script = Path(sys.executable).with_name("reportqa")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "reportqa.cli"]


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env.update(extra)
    return env


def run_cli(*args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `reportqa ARGS…` and capture its output (never raises on a non-zero exit)."""
    return subprocess.run([*reportqa_command(), *args], capture_output=True, text=True, timeout=timeout,
                          env=child_env(**env), check=False, cwd=REPO)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def health_status(base_url: str) -> int | None:
    try:
        with urllib.request.urlopen(f"{base_url}/api/health", timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError, TimeoutError):
        return None


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def start_server(index_root: Path, *, corpus_dir: Path | None = None, log_path: Path | None = None,
                 **env: str) -> Iterator[Server]:
    """`reportqa serve` on a free port, healthy before the block runs, stopped after it."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = log_path or index_root.parent / f"server-{port}.log"
    command = [*reportqa_command(), "serve", "--index", str(index_root), "--host", "127.0.0.1",
               "--port", str(port), "--corpus", str(corpus_dir or REPO / "corpus")]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=child_env(**env), cwd=REPO)
    server = Server(base_url, process, log_path)
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while health_status(base_url) != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"reportqa serve did not become healthy:\n{server.log()[-4000:]}")
            time.sleep(0.3)
        yield server
    finally:
        stop(process)
