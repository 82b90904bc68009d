"""kview as a user gets it: the wheel built from this tree, installed with its
dependencies into a new virtualenv, run from a directory outside the
repository.  Everything kview needs at run time (the themes, the CSS) must be
inside the wheel; nothing may come from the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "kview", "themes")
"""What a build reads (copied, so the build's own files stay out of the checkout)."""
BUILD_TIMEOUT = 300
INSTALL_TIMEOUT = 540
RUN_TIMEOUT = 120


def run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> str:
    """``args``' standard output; a failure or a timeout fails the test with its output."""
    try:
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(args)} did not end within {timeout} s; output: {exc.stdout!r} {exc.stderr!r}")
    assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict[str, str], Path]:
    """(the venv's bin directory, a directory outside the repository, the
    environment to run in, the wheel)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    # Nothing of the checkout or of this test's environment may leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "KVIEW_", "XDG_"))}
    env["XDG_CONFIG_HOME"] = str(root / "config")  # no user themes
    env["KVIEW_STATE_DIR"] = str(root / "state")
    env["KVIEW_CONFIG"] = str(root / "config" / "none.yaml")
    dist = root / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(source)],
        cwd=root,
        env=env,
        timeout=BUILD_TIMEOUT,
    )
    (wheel,) = dist.glob("kview-*.whl")
    target = root / "venv"
    venv.create(target, with_pip=True)
    bin_dir = target / "bin"
    # With its dependencies, from the package index (pip's cache makes a second run quick).
    run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        cwd=root,
        env=env,
        timeout=INSTALL_TIMEOUT,
    )
    outside = root / "elsewhere"
    outside.mkdir()
    return bin_dir, outside, env, wheel


def repo_theme_names() -> list[str]:
    return sorted(yaml.safe_load(p.read_text(encoding="utf-8"))["name"] for p in (REPO / "themes").glob("*.yaml"))


def test_the_wheel_holds_the_themes_and_the_css(installed) -> None:
    _bin, _outside, _env, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    themes = sorted(p.name for p in (REPO / "themes").glob("*.yaml"))
    assert len(themes) == 4
    missing = [f"kview/themes/{t}" for t in themes if f"kview/themes/{t}" not in names]
    assert not missing, f"not in the wheel: {missing}"
    assert "kview/ui/kview.tcss" in names


def test_the_installed_commands_run_outside_the_repository(installed) -> None:
    bin_dir, outside, env, _wheel = installed
    usage = run([str(bin_dir / "kview"), "--help"], cwd=outside, env=env, timeout=RUN_TIMEOUT)
    assert usage.startswith("usage: kview") and "demo" in usage
    demo = run([str(bin_dir / "kview"), "demo", "--help"], cwd=outside, env=env, timeout=RUN_TIMEOUT)
    assert demo.startswith("usage: kview demo")


def test_the_installed_app_loads_the_four_themes_from_the_package(installed) -> None:
    """The theme loader, and the app itself (its CSS and its themes) drawn
    headless, in the installed copy: the themes come from inside the venv."""
    bin_dir, outside, env, _wheel = installed
    snippet = textwrap.dedent("""
        import asyncio, json
        import kview
        from kview.app import make_app
        from kview.core.config import ClusterProfile, Config
        from kview.ui.themes import builtin_theme_dir, load_themes

        loaded = load_themes()
        profile = ClusterProfile(name="nowhere", bootstrap=("127.0.0.1:1",))
        app = make_app(Config(clusters={"nowhere": profile}, default_cluster="nowhere",
                              theme="kview-16"), profile)

        async def main():
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                return app.theme, sorted(n for n in app.available_themes if n.startswith("kview"))

        theme, registered = asyncio.run(main())
        print(json.dumps({"package": kview.__file__, "dir": str(builtin_theme_dir()),
                          "names": sorted(t.name for t in loaded.themes), "problems": loaded.problems,
                          "theme": theme, "registered": registered}))
    """)
    out = run([str(bin_dir / "python"), "-c", snippet], cwd=outside, env=env, timeout=RUN_TIMEOUT)
    report = json.loads(out.strip().splitlines()[-1])
    venv_dir = bin_dir.parent.resolve()
    assert Path(report["package"]).resolve().is_relative_to(venv_dir), report
    assert Path(report["dir"]).resolve().is_relative_to(venv_dir), report
    expected = repo_theme_names()
    assert report["names"] == expected and report["problems"] == [], report
    assert report["registered"] == expected and report["theme"] == "kview-16", report
