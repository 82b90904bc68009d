"""Themes are data: YAML files in ``themes/`` (and in the user's config dir)
become Textual themes.  An installed kview finds its own in the package
(``kview/themes/``, put there by setup.py); a source checkout (an editable
install) in the repository's top-level ``themes/``.  kview's status colours are theme variables
(``status-ok``, ``status-warn``, ...), so no pane carries a literal colour."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import platformdirs
import yaml
from rich.style import Style
from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "kview-dark"

STATUS_VARIABLES = (
    "status-ok",
    "status-warn",
    "status-stall",
    "status-stop",
    "status-empty",
    "status-stale",
    "under-replicated",
)
"""Variables every kview theme must define; panes style statuses with them."""

_COLOR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)


@dataclass
class ThemeLoad:
    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def builtin_theme_dir() -> Path:
    """kview's own themes: ``kview/themes`` of an installed wheel, else the
    ``themes/`` of the checkout this module runs from (an editable install
    imports the source tree, where the themes are not inside the package)."""
    packaged = Path(str(resources.files("kview"))) / "themes"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "themes"


def theme_dirs() -> list[Path]:
    """kview's own themes and ``<user config dir>/kview/themes``."""
    return [builtin_theme_dir(), platformdirs.user_config_path("kview") / "themes"]


def parse_theme(text: str, source: str) -> Theme:
    """One theme file -> Theme; ValueError with the file and the problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}: invalid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data.get("primary"):
        raise ValueError(f"{source}: a theme needs at least 'name' and 'primary'")
    unknown = set(data) - {*_COLOR_FIELDS, "name", "dark", "ansi", "variables", "luminosity_spread", "text_alpha"}
    if unknown:
        raise ValueError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}")
    for key in _COLOR_FIELDS:
        if key in data:
            _check_colour(data[key], f"{source}: {key}")
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ValueError(f"{source}: variables must be a mapping")
    missing = [v for v in STATUS_VARIABLES if v not in variables]
    if missing:
        raise ValueError(f"{source}: variables lacks {', '.join(missing)}")
    for key, value in variables.items():
        if not str(key).endswith("text-style"):
            _check_colour(value, f"{source}: variables.{key}")
    fields = {k: v for k, v in data.items() if k != "variables"}
    return Theme(**fields, variables={str(k): str(v) for k, v in variables.items()})


def colour_style(colour: str | None, *, bold: bool = False) -> Style:
    """A Rich style in a theme's colour (a variable's value, or what
    ``app.status_colour`` returns); plain when there is none or it is not a
    colour."""
    try:
        rich_colour = Color.parse(colour).rich_color if colour else None
    except ColorParseError:
        rich_colour = None
    return Style(color=rich_colour, bold=bold)


def theme_style(app, variable: str, *, bold: bool = False) -> Style:
    """A Rich style in the colour of a theme variable (``under-replicated``,
    ``status-stop`` ...); plain when the theme does not define it."""
    return colour_style(app.theme_variables.get(variable), bold=bold)


def _check_colour(value: object, where: str) -> None:
    try:
        Color.parse(str(value))
    except ColorParseError:
        raise ValueError(f"{where}: '{value}' is not a colour") from None


def load_themes(directories: list[Path] | None = None) -> ThemeLoad:
    """Every ``*.yaml`` theme; broken files are reported, never raised."""
    result = ThemeLoad()
    for directory in directories or theme_dirs():
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            try:
                result.themes.append(parse_theme(path.read_text(encoding="utf-8"), str(path)))
            except (OSError, ValueError) as exc:
                result.problems.append(str(exc))
    return result


def state_path() -> Path:
    """Where kview remembers UI choices (the theme); never the config file."""
    import os

    override = os.environ.get("KVIEW_STATE_DIR")
    base = Path(override) if override else platformdirs.user_state_path("kview")
    return base / "state.yaml"


def remembered_theme() -> str | None:
    try:
        data = yaml.safe_load(state_path().read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    theme = data.get("theme") if isinstance(data, dict) else None
    return theme if isinstance(theme, str) else None


def remember_theme(name: str) -> None:
    path = state_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"theme": name}), encoding="utf-8")
    except OSError:
        pass  # remembering is a convenience; never fail the app over it
