"""The arrows between kview's layers point one way: kview.core never imports
the UI toolkit (every core module is imported in a fresh interpreter and
textual and rich must stay out of sys.modules), and never imports kview.local,
the machinery that runs Kafka on this machine (checked in the source, so a
lazy import inside a function counts too)."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import kview.core


def core_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(kview.core.__path__, "kview.core."))


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at any depth (function bodies too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_core_imports_none_of_the_layers_above_it():
    """kview.core imports nothing of kview.local, kview.ui, kview.headless,
    kview.app or kview.cli: the arrows point into core only."""
    above = ("kview.local", "kview.ui", "kview.headless", "kview.app", "kview.cli")
    sources = sorted(Path(kview.core.__path__[0]).rglob("*.py"))
    assert len(sources) > 30
    offenders = {
        str(path): sorted(n for n in imported_modules(path) if any(n == a or n.startswith(a + ".") for a in above))
        for path in sources
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_only_the_demo_command_reaches_the_local_machinery():
    """The app, the panes and the headless commands talk to a user's cluster;
    of kview's own code outside kview.local only the CLI's ``demo`` command
    imports it."""
    root = Path(kview.core.__path__[0]).parent
    users = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "local" not in path.relative_to(root).parts
        and any(n.startswith("kview.local") for n in imported_modules(path))
    )
    assert users == ["cli.py"]


def test_the_import_check_sees_lazy_imports(tmp_path):
    source = tmp_path / "lazy.py"
    source.write_text("def f():\n    from kview.local.cluster import DevCluster\n")
    assert "kview.local.cluster" in imported_modules(source)


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
    Textual: their modules (every one in kview.headless, the dispatcher and
    each command family) and every subcommand's --help stay clear of it."""
    import kview.headless
    from kview.headless import COMMANDS

    modules = sorted(m.name for m in pkgutil.iter_modules(kview.headless.__path__, "kview.headless."))
    assert {"kview.headless.commands", "kview.headless.runner", "kview.headless.records"} <= set(modules)

    code = (
        "import importlib, sys\n"
        "from kview import cli\n"
        f"for module in {modules!r}:\n    importlib.import_module(module)\n"
        f"for command in {list(COMMANDS)!r}:\n"
        "    try:\n        cli.main([command, '--help'])\n    except SystemExit:\n        pass\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "usage: kview produce" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "False"
