"""A local cluster for tests: N `hotline serve` processes with HAProxy and Kamailio in front.

The processes are real (subprocesses of this test run) and share whatever the caller's
environment says (HOTLINE_DATABASE_URL, HOTLINE_REDIS_URL, HOTLINE_REDIS_PREFIX, ...); the
front ends run from the repository's own templates, deploy/haproxy.cfg and
deploy/kamailio.cfg, filled in here exactly as scripts/cluster.sh fills them in.

    cluster = Cluster(3, env={"HOTLINE_DATABASE_URL": url, "HOTLINE_REDIS_URL": redis},
                      workdir=tmp_path).start()
    try:
        httpx.get(cluster.url + "/api/health")      # through HAProxy
        cluster.backend_urls[0]                     # one process directly
        cluster.kill(1)                             # SIGKILL, as a crash
        cluster.wait_down(1)                        # HAProxy has taken it out
    finally:
        cluster.stop()

Everything is synchronous (subprocesses and a blocking HTTP poll), so it serves sync and
async tests alike; an async test that must not block its loop for the start-up can run
``await asyncio.to_thread(cluster.start)``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
# The installed entry point next to this interpreter (the .venv's), else the same through -c.
_ENTRY = Path(sys.executable).parent / "hotline"
HOTLINE = (
    [str(_ENTRY)] if _ENTRY.exists() else [sys.executable, "-c", "from app.cli import main; main()"]
)
HAPROXY = shutil.which("haproxy") or (
    "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
)
KAMAILIO = shutil.which("kamailio") or (
    "/usr/sbin/kamailio" if Path("/usr/sbin/kamailio").exists() else None
)

# Kamailio's timers for tests: the 182 repeat interval (telephony.yaml) must be shorter than
# the INVITE timer, which restarts on every provisional reply (deploy/kamailio.cfg).
TEST_QUEUED_INTERVAL = 1.0


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (SIP listens on both)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no port free for both TCP and UDP")


def render(template: str, values: dict[str, object]) -> str:
    """Fill a deploy/ template's @NAME@ placeholders; a name left unfilled is an error."""
    text = template
    for name, value in values.items():
        text = text.replace(f"@{name}@", str(value))
    left = [line for line in text.splitlines() if "@" in line and _placeholder(line)]
    if left:
        raise ValueError(f"unfilled placeholders: {left}")
    return text


def _placeholder(line: str) -> bool:
    return re.search(r"@[A-Z_]+@", line) is not None


def haproxy_config(
    http_port: int, stats_port: int, backends: list[int], bind: str = "127.0.0.1"
) -> str:
    """deploy/haproxy.cfg for HAProxy on `http_port` in front of Hotline's HTTP ports."""
    servers = "\n".join(
        f"    server hotline{i + 1} 127.0.0.1:{port}" for i, port in enumerate(backends)
    )
    template = (DEPLOY / "haproxy.cfg").read_text()
    return render(
        template,
        {"BIND": bind, "HTTP_PORT": http_port, "STATS_PORT": stats_port, "SERVERS": servers},
    )


def kamailio_config(
    sip_port: int,
    dispatcher_list: Path,
    *,
    bind: str = "127.0.0.1",
    fr_timer_ms: int = 1500,
    fr_inv_timer_ms: int = 3000,
    ping_interval: int = 1,
    log_stderr: bool = True,
) -> str:
    """deploy/kamailio.cfg for Kamailio on `sip_port` (UDP and TCP)."""
    template = (DEPLOY / "kamailio.cfg").read_text()
    return render(
        template,
        {
            "BIND": bind,
            "SIP_PORT": sip_port,
            "DISPATCHER_LIST": dispatcher_list,
            "FR_TIMER_MS": fr_timer_ms,
            "FR_INV_TIMER_MS": fr_inv_timer_ms,
            "PING_INTERVAL": ping_interval,
            "PROBING_THRESHOLD": 1,
            "INACTIVE_THRESHOLD": 1,
            "LOG_STDERR": "yes" if log_stderr else "no",
        },
    )


def dispatcher_list(sip_ports: list[int]) -> str:
    """Kamailio's dispatcher list: set 1 holds every Hotline process's SIP address (UDP)."""
    lines = ["# setid destination flags priority attrs"]
    lines += [f"1 sip:127.0.0.1:{port};transport=udp 0 0" for port in sip_ports]
    return "\n".join(lines) + "\n"


@dataclass
class Backend:
    """One `hotline serve` process."""

    index: int
    http_port: int
    sip_port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Cluster:
    """N Hotline processes, HAProxy (HTTP and websockets) and Kamailio (SIP) in front.

    ``env`` is added to this process's environment for every Hotline process (HOTLINE_*
    variables already set here are dropped first, as the tests' own fixture does); each
    process gets its own HTTP and SIP port and var dir under ``workdir``. A shared
    HOTLINE_SECRET_KEY is set unless ``env`` names one: a token signed by one process must be
    good on the others.
    """

    n: int
    env: dict[str, str]
    workdir: Path
    haproxy: bool = True
    kamailio: bool = True
    # telephony.yaml's queued_interval_seconds for every process (None: the shipped file).
    queued_interval: float | None = TEST_QUEUED_INTERVAL
    migrate: bool = True
    start_timeout: float = 60.0
    fr_timer_ms: int = 1500
    fr_inv_timer_ms: int = 3000
    backends: list[Backend] = field(default_factory=list)
    http_port: int = 0
    stats_port: int = 0
    sip_port: int = 0
    _haproxy: subprocess.Popen[bytes] | None = None
    _kamailio: subprocess.Popen[bytes] | None = None

    # -- addresses ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """HAProxy's address: what a browser or console would use."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    @property
    def backend_urls(self) -> list[str]:
        return [b.url for b in self.backends]

    @property
    def sip_address(self) -> str:
        """Kamailio's address for sipp: "127.0.0.1:port"."""
        return f"127.0.0.1:{self.sip_port}"

    @property
    def kamailio_log(self) -> Path:
        return self.workdir / "kamailio.log"

    @property
    def haproxy_log(self) -> Path:
        return self.workdir / "haproxy.log"

    # -- life cycle --------------------------------------------------------------------

    def process_env(self, backend: Backend) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        env["HOTLINE_SECRET_KEY"] = self.env.get("HOTLINE_SECRET_KEY", "cluster-test-secret")
        env.update(self.env)
        env.update(
            {
                "HOTLINE_HTTP_HOST": "127.0.0.1",
                "HOTLINE_HTTP_PORT": str(backend.http_port),
                "HOTLINE_SIP_HOST": "127.0.0.1",
                "HOTLINE_SIP_PORT": str(backend.sip_port),
                "HOTLINE_VAR_DIR": str(self.workdir / f"var{backend.index}"),
                "HOTLINE_RTP_PORTS": "0",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.queued_interval is not None:
            env["HOTLINE_TELEPHONY_FILE"] = str(self._telephony_file())
        return env

    def _telephony_file(self) -> Path:
        import yaml

        path = self.workdir / "telephony.yaml"
        if not path.exists():
            shipped = ROOT / "config" / "telephony.yaml"
            config = yaml.safe_load(shipped.read_text(encoding="utf-8"))
            config["queued_interval_seconds"] = self.queued_interval
            path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    def start(self) -> Self:
        """Migrate once, start every process and the front ends, wait until all are up."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.backends = [
            Backend(i, free_port(), free_port(), self.workdir / f"hotline{i}.log")
            for i in range(self.n)
        ]
        try:
            if self.migrate:
                # Once, before the processes: `serve` migrates too, and N of them at once on
                # a fresh database would race for the same DDL.
                subprocess.run(
                    [*HOTLINE, "migrate"],
                    env=self.process_env(self.backends[0]),
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
            for backend in self.backends:
                self._spawn(backend)
            for backend in self.backends:
                self.wait_healthy(backend.index)
            if self.haproxy:
                self._start_haproxy()
            if self.kamailio:
                self._start_kamailio()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, backend: Backend) -> None:
        log = backend.log.open("ab")
        backend.proc = subprocess.Popen(
            [*HOTLINE, "serve"],
            env=self.process_env(backend),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C of the test run does not reach it first
        )
        log.close()

    def restart(self, i: int) -> None:
        """Start process i again (after kill) on the same ports; waits until healthy."""
        backend = self.backends[i]
        if backend.alive:
            raise RuntimeError(f"process {i} is still running")
        self._spawn(backend)
        self.wait_healthy(i)

    def wait_healthy(self, i: int, timeout: float | None = None) -> None:
        """Until process i answers 200 on /api/health (it fails at once if the process exits)."""
        backend = self.backends[i]
        deadline = time.monotonic() + (timeout or self.start_timeout)
        last = ""
        while time.monotonic() < deadline:
            if not backend.alive:
                raise RuntimeError(
                    f"hotline process {i} exited ({backend.proc and backend.proc.returncode}):\n"
                    + _tail(backend.log)
                )
            try:
                r = httpx.get(backend.url + "/api/health", timeout=2)
                if r.status_code == 200:
                    return
                last = r.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise TimeoutError(f"process {i} not healthy: {last}\n{_tail(backend.log)}")

    def _start_haproxy(self) -> None:
        if HAPROXY is None:
            raise RuntimeError("haproxy is not installed (scripts/services.sh installs it)")
        self.http_port, self.stats_port = free_port(), free_port()
        config = self.workdir / "haproxy.cfg"
        config.write_text(
            haproxy_config(self.http_port, self.stats_port, [b.http_port for b in self.backends])
        )
        log = self.haproxy_log.open("ab")
        self._haproxy = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._haproxy.poll() is not None:
                raise RuntimeError("haproxy exited:\n" + _tail(self.haproxy_log))
            with contextlib.suppress(httpx.HTTPError):
                if all(s == "UP" for s in self.haproxy_status().values()):
                    return
            time.sleep(0.1)
        raise TimeoutError(f"haproxy did not see every process up: {self.haproxy_status()}")

    def _start_kamailio(self) -> None:
        if KAMAILIO is None:
            raise RuntimeError("kamailio is not installed (scripts/services.sh installs it)")
        self.sip_port = free_port()
        listing = self.workdir / "dispatcher.list"
        listing.write_text(dispatcher_list([b.sip_port for b in self.backends]))
        config = self.workdir / "kamailio.cfg"
        config.write_text(
            kamailio_config(
                self.sip_port,
                listing,
                fr_timer_ms=self.fr_timer_ms,
                fr_inv_timer_ms=self.fr_inv_timer_ms,
            )
        )
        run = self.workdir / "kamailio-run"
        run.mkdir(exist_ok=True)
        log = self.kamailio_log.open("ab")
        self._kamailio = subprocess.Popen(
            [KAMAILIO, "-DD", "-E", "-f", str(config), "-Y", str(run), "-m", "64", "-M", "8"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        # Up when it answers an OPTIONS of its own.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._kamailio.poll() is not None:
                raise RuntimeError("kamailio exited:\n" + _tail(self.kamailio_log))
            if sip_options(self.sip_port):
                return
            time.sleep(0.1)
        raise TimeoutError("kamailio did not answer OPTIONS:\n" + _tail(self.kamailio_log))

    def kill(self, i: int) -> None:
        """SIGKILL process i, as a crash: no shutdown, no goodbye to Redis or the sockets."""
        backend = self.backends[i]
        if backend.proc is not None and backend.proc.poll() is None:
            backend.proc.send_signal(signal.SIGKILL)
            backend.proc.wait(10)

    def stop(self) -> None:
        """Stop everything this cluster started: SIGTERM, then SIGKILL after 10 s."""
        procs = [b.proc for b in self.backends] + [self._kamailio, self._haproxy]
        running = [p for p in procs if p is not None and p.poll() is None]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the front ends see -------------------------------------------------------

    def haproxy_status(self) -> dict[str, str]:
        """Each Hotline server's status in HAProxy ("UP", "DOWN", "UP 1/2", ...), by index."""
        r = httpx.get(f"http://127.0.0.1:{self.stats_port}/;csv", timeout=2)
        rows = csv.DictReader(io.StringIO(r.text.lstrip("# ")))
        status: dict[str, str] = {}
        for row in rows:
            name = row.get("svname", "")
            if row.get("pxname") == "hotline" and name.startswith("hotline"):
                status[str(int(name.removeprefix("hotline")) - 1)] = row.get("status", "")
        return status

    def wait_down(self, i: int, timeout: float = 10.0) -> float:
        """Until HAProxy marks process i DOWN; returns the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.haproxy_status().get(str(i)) == "DOWN":
                return time.monotonic() - started
            time.sleep(0.05)
        raise TimeoutError(f"haproxy still has process {i} as {self.haproxy_status()}")

    def dispatched_to(self, call_id: str | None = None) -> list[int]:
        """The processes Kamailio sent INVITEs to (this call's, or all), in order, from its log."""
        by_port = {b.sip_port: b.index for b in self.backends}
        found: list[int] = []
        text = self.kamailio_log.read_text(errors="replace") if self.kamailio_log.exists() else ""
        for line in text.splitlines():
            if "dispatch INVITE" in line and (call_id is None or f"call-id={call_id} " in line):
                port = int(line.rsplit(":", 1)[1].split(";")[0].strip())
                found.append(by_port[port])
        return found


def sip_options(port: int, timeout: float = 0.5) -> bool:
    """True when something on 127.0.0.1:port answers an OPTIONS over UDP with a 200."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(timeout)
        local = sock.getsockname()[1]
        branch = f"z9hG4bK-probe-{time.monotonic_ns()}"
        request = (
            f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch={branch};rport\r\n"
            f"From: <sip:probe@127.0.0.1>;tag=probe\r\n"
            f"To: <sip:127.0.0.1:{port}>\r\n"
            f"Call-ID: {branch}@127.0.0.1\r\n"
            "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        sock.sendto(request.encode(), ("127.0.0.1", port))
        try:
            data, _ = sock.recvfrom(65535)
        except OSError:
            return False
        return data.startswith(b"SIP/2.0 200")


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
