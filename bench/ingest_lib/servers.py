"""Start, watch and stop the servers under test; measure their memory and database."""

from __future__ import annotations

import http.client
import os
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

# Measured with this version; pinned so that figures from different runs compare.
PHOENIX_SPEC = "arize-phoenix==20.26.1"
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ManagedServer:
    """A server subprocess in its own process group, with its output in a log file."""

    def __init__(
        self,
        name: str,
        cmd: list[str],
        env: dict,
        workdir: Path,
        port: int,
        health_path: str,
        db_path: Path,
        count_sql: str,
        cwd: Path | None = None,
    ):
        self.name, self.port, self.health_path = name, port, health_path
        self.db_path, self.count_sql = db_path, count_sql
        self.log_path = workdir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        # New session: the server's own children (workers, if any) stay in one group we own.
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._db: sqlite3.Connection | None = None

    def wait_ready(self, timeout: float) -> float:
        """Poll GET health_path until 200; returns seconds taken. Bounded by `timeout`."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}\n" + self.log_tail())
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", self.health_path)
                if conn.getresponse().status == 200:
                    return time.monotonic() - t0
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s\n" + self.log_tail())

    def log_tail(self, n: int = 40) -> str:
        if not self._log.closed:
            self._log.flush()
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(f"  | {line}" for line in lines[-n:])

    def count(self) -> int | None:
        """Spans durably stored: a read-only query on the server's own database file.

        Read-only URI, autocommit: each query sees the last committed state (WAL readers do
        not block the server's writer). None until the server has created its table."""
        if not self.db_path.exists():
            return None
        try:
            if self._db is None:
                self._db = sqlite3.connect(
                    f"file:{self.db_path}?mode=ro", uri=True, isolation_level=None, timeout=10, check_same_thread=False
                )
            return self._db.execute(self.count_sql).fetchone()[0]
        except sqlite3.Error:
            if self._db is not None:
                self._db.close()
            self._db = None
            return None

    def disk_bytes(self) -> int:
        """Database file + WAL + shared-memory index, as the server leaves them."""
        return sum(
            p.stat().st_size
            for p in (self.db_path, Path(f"{self.db_path}-wal"), Path(f"{self.db_path}-shm"))
            if p.exists()
        )

    def stop(self, timeout: float = 30) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: lets it checkpoint and exit
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group we created, by its id
                self.proc.wait(10)
        self._log.close()


class RssSampler(threading.Thread):
    """Peak of the summed VmRSS of a process and all its descendants, every `interval` s.

    Reads /proc directly (no psutil needed in the project venv). Summing RSS counts pages
    shared between forked workers more than once; for a single-process server it is exact.
    Spikes shorter than the interval can be missed."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self.last_kb = 0
        self._halt = threading.Event()

    @staticmethod
    def _tree(root: int) -> list[int]:
        children: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        # the name field may hold spaces: ppid is the 2nd field after ')'
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                    children.setdefault(ppid, []).append(int(d))
                except (OSError, IndexError, ValueError):
                    pass
        tree, todo = [], [root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        return tree

    @classmethod
    def tree_rss_kb(cls, root: int) -> int:
        total = 0
        for pid in cls._tree(root):
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
                            break
            except OSError:
                pass
        return total

    @classmethod
    def tree_cpu_s(cls, root: int) -> float:
        """User + system CPU seconds of the tree, incl. its reaped children."""
        ticks = 0
        for pid in cls._tree(root):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ticks += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
            except (OSError, ValueError):
                pass
        return ticks / os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.last_kb = self.tree_rss_kb(self.pid)
            self.peak_kb = max(self.peak_kb, self.last_kb)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


def start_theodolite(workdir: Path, cmd_prefix: str | None) -> ManagedServer:
    port = free_port()
    db = workdir / "theodolite.db"
    prefix = shlex.split(cmd_prefix) if cmd_prefix else [sys.executable, "-m", "theodolite"]
    cmd = prefix + ["serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", f"sqlite:///{db}"]
    env = {
        **os.environ,
        "THEODOLITE_INIT_PROJECT": "bench",
        "THEODOLITE_INIT_PUBLIC_KEY": "pk-bench",
        "THEODOLITE_INIT_SECRET_KEY": "sk-bench",
        # `python -m theodolite` from the work dir: make the repo's package importable
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    # cwd stays the caller's, so that a relative --theodolite-cmd works as typed.
    return ManagedServer(
        "theodolite", cmd, env, workdir, port, "/api/v1/health", db, "SELECT count(*) FROM observations"
    )


def ensure_phoenix_venv(venv: Path, spec: str = PHOENIX_SPEC) -> str:
    """Create `venv` with Phoenix on first use; return the installed Phoenix version."""
    py = venv / "bin" / "python"
    probe = [str(py), "-c", "import phoenix; print(phoenix.__version__)"]
    if py.exists():
        r = subprocess.run(probe, capture_output=True, text=True, timeout=120)
        if r.returncode == 0:
            return r.stdout.strip()
    print(f"[phoenix] creating {venv} and installing {spec} (a few minutes, once)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    log = venv / "pip-install.log"
    with open(log, "wb") as f:
        r = subprocess.run([str(py), "-m", "pip", "install", spec], stdout=f, stderr=subprocess.STDOUT, timeout=1800)
    if r.returncode != 0:
        raise RuntimeError(f"pip install {spec} failed; see {log}")
    return subprocess.run(probe, capture_output=True, text=True, check=True, timeout=120).stdout.strip()


def start_phoenix(workdir: Path, venv: Path) -> ManagedServer:
    port, grpc_port = free_port(), free_port()
    # Drop any Phoenix settings from the caller's environment (a PostgreSQL URL, auth...)
    # so that this is Phoenix's default SQLite set-up in our own working dir.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOENIX_")}
    env.update(
        {
            "PHOENIX_WORKING_DIR": str(workdir),
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(port),
            # gRPC cannot be switched off; give it a free port so it never clashes (it binds
            # to all interfaces whatever PHOENIX_HOST says, but nothing is sent to it).
            "PHOENIX_GRPC_PORT": str(grpc_port),
            "PHOENIX_TELEMETRY_ENABLED": "false",  # no network here, and no noise
            "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
            "PHOENIX_LOG_MIGRATIONS": "false",
        }
    )
    env.pop("PYTHONPATH", None)
    cmd = [str(venv / "bin" / "python"), "-m", "phoenix.server.main", "serve"]
    return ManagedServer(
        "phoenix",
        cmd,
        env,
        workdir,
        port,
        "/healthz",
        workdir / "phoenix.db",
        "SELECT count(*) FROM spans",
        cwd=workdir,
    )
