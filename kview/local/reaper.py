"""Watchdog for a DevCluster: if the process that started the cluster dies
without stopping it, kill every process launched from the cluster directory
and remove that directory.  Run as ``python -m kview.local.reaper PID DIR``."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def processes_under(directory: str) -> list[int]:
    """Pids whose command line mentions ``directory`` (the brokers' config paths)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if directory in cmdline and "kview.local.reaper" not in cmdline:
            pids.append(int(entry.name))
    return pids


def main() -> int:
    parent, directory = int(sys.argv[1]), sys.argv[2]
    stop = False

    def _on_term(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while not stop and _alive(parent):
        time.sleep(1.0)
    if stop:
        return 0
    for pid in processes_under(directory):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    time.sleep(0.5)
    shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
