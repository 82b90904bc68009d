"""Startup figures: `kview --help` wall time, and time to first paint of kview
next to a bare Textual app, measured in the same run.

    .venv/bin/python bench/startup.py [--runs 7] [--cluster]

First paint is measured as a user sees it: the program (the installed
``kview`` command, and a bare Textual app started the same way) runs in a
pseudo-terminal of 80x24, and the clock stops when the bytes it wrote to the
terminal hold the first frame's real content: for kview the header line and
the overview's figures and table, for the bare app its text.  kview is
pointed at a closed port, so nothing waits on a cluster (the UI never does:
it paints, then connects).  With ``--cluster`` a real single-broker Kafka is
started too, and the time until the overview shows its data is printed
(first data; the cluster is stopped at the end).

Each figure is the median of ``--runs`` fresh processes, after one warm-up
run (file cache, .pyc files).  The machine's load average is printed with
the figures: on a busy machine compare the ratios, not the seconds.
Targets: --help <= 0.3 s, first paint <= 1 s.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import resource
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

SIZE = (80, 24)
TIMEOUT = 60.0

BARE_APP = r"""
from textual.app import App
from textual.widgets import Footer, Static

class Bare(App):
    def compose(self):
        yield Static("hello from a bare Textual app")
        yield Footer()

Bare().run()
"""

_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|P[^\x1b]*\x1b\\|[@-Z\\-_])")


def terminal_text(raw: bytes) -> str:
    """What a terminal would print of ``raw``, without its escape sequences
    (cursor moves, colours): the words of a frame stay whole."""
    return _ESCAPE.sub("", raw.decode("utf-8", "replace"))


def isolated_env(home: Path) -> dict[str, str]:
    """The environment of a measured process: a terminal, and kview's config,
    state and logs in a scratch directory (never the user's)."""
    env = dict(os.environ)
    env.update(
        TERM="xterm-256color",
        COLUMNS=str(SIZE[0]),
        LINES=str(SIZE[1]),
        KVIEW_CONFIG=str(home / "config.yaml"),
        KVIEW_STATE_DIR=str(home / "state"),
        KVIEW_LOG_DIR=str(home / "logs"),
        TEXTUAL_ANIMATIONS="none",
    )
    env.pop("TEXTUAL", None)  # no devtools
    return env


def children_cpu() -> float:
    """CPU seconds (user + system) of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Figure:
    """Wall-clock seconds of one run, and the CPU seconds its process used:
    on a busy machine the wall time stretches with the load, the CPU time
    much less (it is close to what an idle machine's wall time would be)."""

    def __init__(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = wall, cpu


def time_to_screen(argv: list[str], markers: tuple[str, ...], env: dict[str, str]) -> Figure:
    """Seconds from spawning ``argv`` in an 80x24 pseudo-terminal until every
    marker has been written to it (the process is stopped right then)."""
    cpu_before = children_cpu()
    wall = None
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True
    )
    os.close(slave)
    raw = b""
    try:
        while True:
            elapsed = time.perf_counter() - start
            if elapsed > TIMEOUT:
                raise RuntimeError(
                    f"{argv[0]}: {markers} not drawn after {TIMEOUT:.0f} s; last output: {terminal_text(raw)[-400:]!r}"
                )
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{argv[0]} exited ({process.returncode}) before drawing: {terminal_text(raw)[-400:]!r}"
                    )
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise RuntimeError(f"{argv[0]} closed its terminal before drawing {markers}")
            raw += chunk
            text = terminal_text(raw)
            if all(marker in text for marker in markers):
                wall = time.perf_counter() - start
                break
    finally:
        # Killed at once: what it would do after the first frame is not counted
        # (its pseudo-terminal needs no restoring).
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        os.close(master)
    return Figure(wall, children_cpu() - cpu_before)


def time_to_exit(argv: list[str], env: dict[str, str]) -> Figure:
    cpu_before = children_cpu()
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return Figure(time.perf_counter() - start, children_cpu() - cpu_before)


def median(measure, runs: int) -> Figure:
    measure()  # warm the file cache and the .pyc files
    figures = [measure() for _ in range(runs)]
    return Figure(statistics.median(f.wall for f in figures), statistics.median(f.cpu for f in figures))


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPU(s)"


def closed_port() -> int:
    """A local port nobody listens on: connecting is refused at once."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The first frame of kview: the header line, the overview's figures, its
# brokers table and the footer (its right end: the last thing drawn on a line).
KVIEW_MARKERS = ("kview │", "Brokers", "Controller", "Partitions", "Host:port", "q Quit")
KVIEW_DATA_MARKERS = ("● connected", "1 brokers")
BARE_MARKERS = ("hello from a bare Textual app", "palette")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--cluster", action="store_true", help="also start a real Kafka and time the first data on screen"
    )
    args = parser.parse_args()
    python = sys.executable
    # The installed command, as a user starts it (its console script).
    script = Path(python).parent / "kview"
    kview_command = [str(script)] if script.exists() else [python, "-m", "kview.cli"]

    with tempfile.TemporaryDirectory(prefix="kview-startup-") as scratch:
        env = isolated_env(Path(scratch))
        print(f"load average before: {load_average()}")
        python_time = median(lambda: time_to_exit([python, "-c", "pass"], env), args.runs)
        help_time = median(lambda: time_to_exit([*kview_command, "--help"], env), args.runs)
        address = f"127.0.0.1:{closed_port()}"
        bare = median(lambda: time_to_screen([python, "-c", BARE_APP], BARE_MARKERS, env), args.runs)
        kview = median(lambda: time_to_screen([*kview_command, "--bootstrap", address], KVIEW_MARKERS, env), args.runs)
        first_data = None
        if args.cluster:
            from kview.local.cluster import DevCluster

            with DevCluster(1) as cluster:
                first_data = median(
                    lambda: time_to_screen(
                        [*kview_command, "--bootstrap", cluster.bootstrap], KVIEW_MARKERS + KVIEW_DATA_MARKERS, env
                    ),
                    args.runs,
                )
        print(f"load average after:  {load_average()}")

    print(f"median of {args.runs} runs        wall s   CPU s")
    print(f"python -c pass            {python_time.wall:6.3f}  {python_time.cpu:6.3f}  (interpreter start)")
    print(f"kview --help              {help_time.wall:6.3f}  {help_time.cpu:6.3f}  target <= 0.300 s")
    print(f"first paint, bare Textual {bare.wall:6.3f}  {bare.cpu:6.3f}")
    print(f"first paint, kview        {kview.wall:6.3f}  {kview.cpu:6.3f}  target <= 1.000 s")
    print(
        f"ratios: --help / python -c pass {help_time.wall / python_time.wall:.2f} wall, "
        f"{help_time.cpu / python_time.cpu:.2f} CPU; "
        f"kview / bare first paint {kview.wall / bare.wall:.2f} wall, {kview.cpu / bare.cpu:.2f} CPU"
    )
    if first_data is not None:
        print(
            f"first data, kview         {first_data.wall:6.3f}  {first_data.cpu:6.3f}  "
            "(the overview with a real cluster's figures)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
