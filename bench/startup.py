"""Startup figures: `kview --help` wall time, and time to first paint of the
kview app next to a bare Textual app, measured in the same run.

    .venv/bin/python bench/startup.py [--runs 7]

Each figure is the median wall time from spawning a fresh interpreter to the
moment it reports (help printed, or the first frame drawn headless).
Targets: --help <= 0.3 s, first paint <= 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

FIRST_PAINT = r"""
import sys, time
kind = sys.argv[1]
if kind == "bare":
    from textual.app import App
    from textual.widgets import Footer, Static
    class Bare(App):
        def compose(self):
            yield Static("hello")
            yield Footer()
    app = Bare()
else:
    from kview.app import make_app
    from kview.core.config import Config, adhoc_profile
    app = make_app(Config(), adhoc_profile("127.0.0.1:9"))

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        print("painted", flush=True)
import asyncio
asyncio.run(main())
"""


def timed(argv: list[str], marker: str | None = None) -> float:
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if marker is None:
        process.communicate()
        return time.perf_counter() - start
    for line in process.stdout:  # type: ignore[union-attr]
        if marker in line:
            elapsed = time.perf_counter() - start
            break
    else:
        raise RuntimeError(f"{argv} never printed {marker!r}")
    process.communicate()
    return elapsed


def median(argv: list[str], runs: int, marker: str | None = None) -> float:
    timed(argv, marker)  # warm the OS file cache and .pyc files
    return statistics.median(timed(argv, marker) for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    help_time = median([python, "-m", "kview.cli", "--help"], args.runs)
    python_time = median([python, "-c", "pass"], args.runs)
    bare = median([python, "-c", FIRST_PAINT, "bare"], args.runs, "painted")
    kview = median([python, "-c", FIRST_PAINT, "kview"], args.runs, "painted")
    print(f"python -c pass           {python_time:6.3f} s  (interpreter start, for reference)")
    print(f"kview --help             {help_time:6.3f} s  target <= 0.300 s")
    print(f"first paint, bare Textual {bare:6.3f} s")
    print(f"first paint, kview        {kview:6.3f} s  target <= 1.000 s  ratio to bare {kview / bare:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
