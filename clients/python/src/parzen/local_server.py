"""Starts a Parzen server as a child process (for ``fmin`` without a server,
tests and notebooks) and stops it again.

The server command is found in this order: the ``command`` argument;
``$PARZEN_SERVER_CMD`` (a command line such as ``parzen`` or
``node /opt/parzen/dist/cli/main.js``); a Parzen repository (the ``repo``
argument, ``$PARZEN_REPO``, or the checkout this package sits in), run as
``tsx src/cli/main.ts``; a ``parzen`` executable on ``PATH``. ``serve --db DB
--listen ADDR`` is appended. The server logs JSON lines on stdout; the one
whose ``msg`` is ``"listening"`` carries the bound ``address``.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from .errors import ServerStartError

MISSING_SERVER = (
    "cannot find a Parzen server to start: there is no `parzen` command on PATH. Install the server (Node 20+) "
    "from a Parzen checkout with `npm ci && npm install -g .`, or from a packed release with "
    "`npm install -g parzen-<version>.tgz` (`npm pack` in a checkout makes it); or pass client='host:port' to use "
    "a running server; or set PARZEN_SERVER_CMD (a command line that runs `parzen`) or PARZEN_REPO (a checkout)"
)


def find_repo(start: Path | None = None) -> Path | None:
    """The Parzen checkout holding ``start`` (default: this package), if any."""
    here = (start or Path(__file__)).resolve()
    for d in [here, *here.parents]:
        if all((d / f).is_file() for f in ("src/cli/main.ts", "package.json")) and (d / "proto" / "parzen").is_dir():
            return d
    return None


def server_command(command: Sequence[str] | None = None, repo: str | None = None) -> tuple[list[str], str | None]:
    """The command prefix that runs the ``parzen`` CLI, and its working directory."""
    if command:
        return list(command), None
    env_cmd = os.environ.get("PARZEN_SERVER_CMD")
    if env_cmd:
        return shlex.split(env_cmd), None
    root = Path(repo) if repo else Path(os.environ["PARZEN_REPO"]) if os.environ.get("PARZEN_REPO") else find_repo()
    if root is not None:
        tsx = root / "node_modules" / ".bin" / "tsx"
        prefix = [str(tsx)] if tsx.exists() else ["npx", "--no-install", "tsx"]
        return [*prefix, "src/cli/main.ts"], str(root)
    exe = shutil.which("parzen")
    if exe:
        return [exe], None
    raise ServerStartError(MISSING_SERVER)


class LocalServer:
    """A Parzen server child process; a context manager.

    ``db``: the SQLite file (a temporary one, deleted on stop, when None).
    ``listen``: ``127.0.0.1:0`` (a free port) by default, or ``unix:///path``.
    ``env``: extra environment variables (e.g. ``PARZEN_TOKENS``); ``args``:
    extra ``serve`` flags (e.g. ``["--tls-cert", "server.pem", "--tls-key",
    "server.key"]``).
    """

    def __init__(
        self,
        db: str | None = None,
        *,
        listen: str = "127.0.0.1:0",
        command: Sequence[str] | None = None,
        repo: str | None = None,
        startup_timeout: float = 120.0,
        env: dict[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> None:
        self._command, self._cwd = server_command(command, repo)
        self._tmpdir: str | None = None
        if db is None:
            self._tmpdir = tempfile.mkdtemp(prefix="parzen-")
            db = os.path.join(self._tmpdir, "parzen.db")
        self.db = db
        self.listen = listen
        self.args = list(args)
        self.startup_timeout = startup_timeout
        self._env = {**os.environ, **(env or {})}
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: collections.deque[str] = collections.deque(maxlen=40)
        self._listening = threading.Event()
        self.address: str | None = None

    def start(self) -> LocalServer:
        argv = [*self._command, "serve", "--db", self.db, "--listen", self.listen, *self.args]
        try:
            self._proc = subprocess.Popen(
                argv,
                cwd=self._cwd,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, killed whole as a last resort
            )
        except OSError as e:
            raise ServerStartError(f"cannot run {shlex.join(argv)}: {e}") from e
        assert self._proc.stdout is not None and self._proc.stderr is not None
        threading.Thread(target=self._read, args=(self._proc.stdout, True), daemon=True).start()
        threading.Thread(target=self._read, args=(self._proc.stderr, False), daemon=True).start()
        atexit.register(self.stop)
        deadline = self.startup_timeout
        step = 0.05
        waited = 0.0
        while not self._listening.wait(step):
            waited += step
            if self._proc.poll() is not None or waited >= deadline:
                why = (
                    f"exited with status {self._proc.returncode}"
                    if self._proc.poll() is not None
                    else f"did not listen within {deadline:.0f}s"
                )
                self.stop()
                tail = "\n".join(self._log)
                raise ServerStartError(f"Parzen server ({shlex.join(argv)}) {why}:\n{tail}")
        return self

    def _read(self, stream: IO[bytes], is_stdout: bool) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            self._log.append(line)
            if is_stdout and not self._listening.is_set():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("msg") == "listening" and entry.get("address"):
                    self.address = str(entry["address"])
                    self._listening.set()
        stream.close()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a clean shutdown), then SIGKILL after ``timeout`` seconds."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # tsx and npm relay it to node
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill_group(proc)
                proc.wait(timeout=5)
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        atexit.unregister(self.stop)

    def kill(self) -> None:
        """SIGKILL, no clean shutdown: what a crash or an OOM kill does (for
        recovery tests). The database stays; ``start()`` runs it again."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            self._kill_group(proc)
            proc.wait(timeout=15)
        self._listening.clear()

    @staticmethod
    def _kill_group(proc: subprocess.Popen[bytes]) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the group start_new_session made
        except (ProcessLookupError, PermissionError):
            proc.kill()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def log_tail(self) -> str:
        """The server's last output lines (for diagnosing failures)."""
        return "\n".join(self._log)
