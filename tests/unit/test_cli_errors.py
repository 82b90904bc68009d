"""The CLI turns bad input into one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys


def run_kview(*args: str, config_text: str | None = None, tmp_path=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if config_text is not None:
        path = tmp_path / "config.yaml"
        path.write_text(config_text)
        env["KVIEW_CONFIG"] = str(path)
    return subprocess.run(
        [sys.executable, "-m", "kview.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_malformed_config(tmp_path):
    result = run_kview(config_text="clusters:\n  a:\n    bootstrap: [x\n", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path / "config.yaml") + ":" in lines[0]


def test_unknown_cluster(tmp_path):
    result = run_kview("--cluster", "nope", config_text="clusters:\n  a:\n    bootstrap: h:1\n", tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "kview: unknown cluster 'nope' (known: a)"


def test_bad_bootstrap(tmp_path):
    result = run_kview("--bootstrap", "host-without-port", tmp_path=tmp_path, config_text="")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "not host:port" in result.stderr
