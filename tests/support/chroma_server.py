"""A real Chroma server on 127.0.0.1 for tests and benchmarks: `chroma run` as a subprocess.

Usage::

    with ChromaServer(tmp_path / "chroma") as server:   # a free port, heartbeat answered
        settings = make_settings(tmp, CHROMA_HOST=server.host, CHROMA_PORT=server.port)
        ...
    # stopped: SIGTERM, then SIGKILL after `stop_timeout`; never left running

or as a session fixture::

    @pytest.fixture(scope="session")
    def chroma_server(tmp_path_factory):
        with ChromaServer(tmp_path_factory.mktemp("chroma")) as server:
            yield server

The server is the venv's own `chroma` console script (chromadb's Rust server behind a thin
Python entry point), found next to `sys.executable`; without it, the same entry point runs
through `python -c`. Its output goes to `<path>/../chroma-<port>.log` (read back into the
error when it fails to start), never to a pipe that could fill up and block it.

Leaks are prevented three ways: `stop()` in `__exit__` (whatever the test did), an atexit
hook for servers still running when the interpreter exits, and on Linux a parent-death
signal, so even a SIGKILLed test runner takes its server with it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import weakref
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["ChromaServer", "ChromaServerError", "chroma_command", "free_port"]

HOST = "127.0.0.1"
_RUNNING: weakref.WeakSet[ChromaServer] = weakref.WeakSet()


class ChromaServerError(RuntimeError):
    """The server did not come up (the message carries the end of its log)."""


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (the server may still lose a race for it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def chroma_command() -> list[str]:
    """How to start `chroma` from this interpreter's environment."""
    script = Path(sys.executable).parent / "chroma"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    # chromadb.cli.cli has no __main__ block; its console script is exactly this.
    return [sys.executable, "-c", "import sys; from chromadb.cli.cli import app; sys.exit(app())"]


def heartbeat(host: str, port: int) -> bool:
    """True when a Chroma server answers its heartbeat on host:port."""
    import chromadb
    from chromadb.config import Settings

    try:
        client = chromadb.HttpClient(
            host=host, port=port, settings=Settings(anonymized_telemetry=False)
        )
        return int(client.heartbeat()) > 0
    except Exception:  # not up yet: connection refused, reset, or a half-started server
        return False


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class ChromaServer:
    """One `chroma run --path PATH --host 127.0.0.1 --port PORT` process."""

    def __init__(
        self,
        path: Path,
        *,
        host: str = HOST,
        port: int | None = None,
        start_timeout: float = 60.0,
        stop_timeout: float = 10.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.host = host
        self.port = port or 0
        self._fixed_port = port is not None
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._extra_env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.log_path: Path | None = None

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> ChromaServer:
        if self.running:
            return self
        attempts = 1 if self._fixed_port else 3
        last: ChromaServerError | None = None
        for _ in range(attempts):
            if not self._fixed_port:
                self.port = free_port(self.host)
            try:
                self._spawn_and_wait()
                return self
            except ChromaServerError as exc:  # most likely a lost race for the port
                last = exc
        assert last is not None
        raise last

    def _spawn_and_wait(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.log_path = self.path.parent / f"chroma-{self.port}.log"
        self._log = self.log_path.open("wb")
        env = {
            **os.environ,
            "ANONYMIZED_TELEMETRY": "False",
            "CHROMA_TELEMETRY": "False",
            "CHROMA_ANONYMIZED_TELEMETRY": "False",
            "NO_COLOR": "1",
            **self._extra_env,
        }
        cmd = [*chroma_command(), "run", "--path", str(self.path),
               "--host", self.host, "--port", str(self.port)]
        self.process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            env=env, cwd=str(self.path.parent), start_new_session=True,
            preexec_fn=_die_with_parent,  # single-threaded at that point
        )
        _RUNNING.add(self)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if heartbeat(self.host, self.port):
                return
            time.sleep(0.1)
        code = self.process.poll()
        self.stop()
        reason = (f"exited with code {code}" if code is not None
                  else f"did not answer its heartbeat within {self.start_timeout:.0f} s")
        raise ChromaServerError(f"chroma run on {self.host}:{self.port} {reason}:\n"
                                f"{self.log_tail()}")

    def stop(self) -> int | None:
        """Terminate, then kill after `stop_timeout`; returns the exit code (None if never
        started). Safe to call twice."""
        process, self.process = self.process, None
        code: int | None = None
        if process is not None:
            try:
                if process.poll() is None:
                    _signal_group(process, signal.SIGTERM)
                    try:
                        process.wait(self.stop_timeout)
                    except subprocess.TimeoutExpired:
                        _signal_group(process, signal.SIGKILL)
                        process.wait(self.stop_timeout)
                code = process.returncode
            finally:
                if process.poll() is None:  # e.g. interrupted while waiting
                    _signal_group(process, signal.SIGKILL)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(self.stop_timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        _RUNNING.discard(self)
        return code

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what tests use --------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """The engine's settings for this server (CHROMA_HOST / CHROMA_PORT)."""
        return {"CHROMA_HOST": self.host, "CHROMA_PORT": str(self.port)}

    def settings_overrides(self) -> dict[str, Any]:
        """Keyword arguments for EngineSettings(...) / make_settings(...)."""
        return {"CHROMA_HOST": self.host, "CHROMA_PORT": self.port}

    def client(self) -> Any:
        import chromadb
        from chromadb.config import Settings

        return chromadb.HttpClient(
            host=self.host, port=self.port, settings=Settings(anonymized_telemetry=False)
        )

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.is_file():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The server runs in its own session: signal the group so any helper dies with it.
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()
