"""A real Milvus server for tests: Milvus Lite's gRPC server as its own process on a free port.

The Milvus backend is tested exactly as a cluster would be reached: over gRPC, at an
`http://127.0.0.1:PORT` URI, from another process. `milvus-lite server` is the same
protocol as Milvus Standalone; only the engine behind it is the embedded one.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.server_utils import free_port, stop

START_TIMEOUT_S = 60.0


def milvus_lite_command() -> list[str]:
    """The `milvus-lite` console script next to this interpreter, else `python -m milvus_lite`."""
    script = Path(sys.executable).with_name("milvus-lite")
    return [str(script)] if script.exists() else [sys.executable, "-m", "milvus_lite"]


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class MilvusServer:
    """One running `milvus-lite server` process and the URI that reaches it."""

    uri: str
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        stop(self.process)

    def restart(self) -> None:
        """Start the server again on the same port and data (after `stop`): Milvus comes back."""
        self.process = _spawn(self.port, self.data_dir, self.log_path)
        _wait_ready(self)


def _spawn(port: int, data_dir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    command = [*milvus_lite_command(), "server", "--data-dir", str(data_dir), "--host", "127.0.0.1",
               "--port", str(port), "--max-workers", "8"]
    with log_path.open("ab") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def _wait_ready(server: MilvusServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not port_open(server.port):
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"milvus-lite server did not start:\n{server.log()[-4000:]}")
        time.sleep(0.1)


@contextlib.contextmanager
def start_milvus(data_dir: Path) -> Iterator[MilvusServer]:
    """`milvus-lite server` on a free port, accepting connections before the block runs, stopped after."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir.parent / f"milvus-{port}.log"
    server = MilvusServer(f"http://127.0.0.1:{port}", port, data_dir, _spawn(port, data_dir, log_path), log_path)
    try:
        _wait_ready(server)
        yield server
    finally:
        server.stop()
