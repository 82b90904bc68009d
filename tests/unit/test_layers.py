"""The backend never imports the UI toolkit: every kview.core module is imported
in a fresh interpreter and textual and rich must stay out of sys.modules."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import kview.core


def core_modules() -> list[str]:
    return sorted(
        m.name for m in pkgutil.walk_packages(kview.core.__path__, "kview.core.")
        if not m.name.endswith("._reaper")
    )


def test_core_imports_neither_textual_nor_rich():
    modules = core_modules()
    assert "kview.core.cluster" in modules and "kview.core.config" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"kview.core pulled in: {result.stdout.strip()}"


def test_cli_help_does_not_import_textual():
    code = (
        "import sys\n"
        "from kview import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_headless_commands_do_not_import_textual():
    """The headless commands (kview topics, lag, tail, ...) start without
    Textual: their modules and every subcommand's --help stay clear of it."""
    from kview.headless import COMMANDS

    code = (
        "import sys\n"
        "from kview import cli\n"
        "import kview.headless.commands, kview.headless.render, kview.headless.schema\n"
        f"for command in {list(COMMANDS)!r}:\n"
        "    try:\n        cli.main([command, '--help'])\n    except SystemExit:\n        pass\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "usage: kview produce" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "False"
