"""Message templates for load generation: parse once, render many times.

A template is literal text with placeholders in double braces:

=====================  ===============================================================
``{{i}}``              the message's sequence number, 0, 1, 2, ...
``{{uuid}}``           a random UUID (version 4); every occurrence draws a new one
``{{now}}``            the send time, ISO-8601 in UTC with milliseconds
                       (``2025-01-31T12:00:00.123Z``)
``{{now_ms}}``         the send time in milliseconds since the epoch
``{{rand_int a b}}``   a random whole number with ``a <= n <= b`` (both ends included)
``{{choice a|b|c}}``   one of the options, picked at random (options are trimmed;
                       an empty option is allowed: ``{{choice x|}}``)
``{{"text"}}``         the text as-is (it cannot contain ``}}``): the way to write a
                       literal ``{{`` is ``{{"{{"}}``
=====================  ===============================================================

Only ``{{`` opens a placeholder; single braces and a ``}}`` outside a
placeholder are literal text, so JSON such as ``{"n": {"i": {{i}}}}`` needs no
escaping.  Within one message, ``{{now}}`` and ``{{now_ms}}`` all show the same
instant.  A malformed template raises TemplateError with the offending
position, at compile time, before anything is sent.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kview.core.errors import KViewError

OPEN = "{{"
CLOSE = "}}"


class TemplateError(KViewError):
    """A template could not be compiled; ``position`` is a 0-based offset into
    the template text, ``line`` and ``column`` are 1-based."""

    def __init__(self, problem: str, text: str, position: int, *, field: str = "") -> None:
        self.problem = problem
        self.position = position
        self.line = text.count("\n", 0, position) + 1
        self.column = position - (text.rfind("\n", 0, position) + 1) + 1
        self.field = field
        where = f"line {self.line}, column {self.column}" if "\n" in text else f"column {self.column}"
        prefix = f"{field}: " if field else ""
        super().__init__(f"{prefix}template error at {where}: {problem}")

    def in_field(self, field: str, text: str) -> TemplateError:
        """The same error, naming the field (key, value, header) it was found in."""
        return TemplateError(self.problem, text, self.position, field=field)


class RenderContext:
    """What one message's placeholders share: its number, the clock reading and
    the random source.  ``now`` is read lazily, once per message."""

    __slots__ = ("i", "rng", "_now")

    def __init__(self, i: int, rng: random.Random, now: float | None = None) -> None:
        self.i = i
        self.rng = rng
        self._now = now

    @property
    def now(self) -> float:
        if self._now is None:
            self._now = time.time()
        return self._now


Part = Callable[[RenderContext], str]
Rendered = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]
"""One message ready for the producer: key, value, headers."""


def _iso_utc(seconds: float) -> str:
    stamp = datetime.fromtimestamp(seconds, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _part_i(ctx: RenderContext) -> str:
    return str(ctx.i)


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def _part_uuid(ctx: RenderContext) -> str:
    # Drawn from the template's own Random so a seeded run is reproducible, and
    # formatted by hand: several times cheaper than uuid.uuid4() at load rates.
    h = "%032x" % ((ctx.rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _make_now() -> Part:
    # Many messages share one millisecond at load rates: format each one once.
    last_ms = -1
    last_text = ""

    def part(ctx: RenderContext) -> str:
        nonlocal last_ms, last_text
        ms = int(ctx.now * 1000)
        if ms != last_ms:
            last_ms, last_text = ms, _iso_utc(ms / 1000)
        return last_text

    return part


def _part_now_ms(ctx: RenderContext) -> str:
    return str(int(ctx.now * 1000))


def _rand_int(low: int, high: int) -> Part:
    def part(ctx: RenderContext) -> str:
        return str(ctx.rng.randint(low, high))

    return part


def _choice(options: tuple[str, ...]) -> Part:
    def part(ctx: RenderContext) -> str:
        return options[ctx.rng.randrange(len(options))]

    return part


_SIMPLE: dict[str, Callable[[], Part]] = {
    "i": lambda: _part_i,
    "uuid": lambda: _part_uuid,
    "now": _make_now,
    "now_ms": lambda: _part_now_ms,
}
_TIME_PARTS = {"now", "now_ms"}
NAMES = ("i", "uuid", "now", "now_ms", "rand_int", "choice")


def _parse_int(token: str) -> int | None:
    body = token[1:] if token[:1] in "+-" else token
    if not body or not body.isascii() or not body.isdigit():
        return None
    return int(token)


@dataclass(frozen=True)
class Template:
    """A compiled template.  Build with ``Template.compile(text)``."""

    text: str
    parts: tuple[str | Part, ...]
    uses_time: bool
    uses_random: bool
    _format: str = field(init=False, repr=False, compare=False)
    _funcs: tuple[Part, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Rendering is one %-format over the literal text with a slot per
        # placeholder: the cheapest join Python offers for the hot loop.
        fmt = "".join(p.replace("%", "%%") if isinstance(p, str) else "%s" for p in self.parts)
        object.__setattr__(self, "_format", fmt)
        object.__setattr__(self, "_funcs", tuple(p for p in self.parts if not isinstance(p, str)))

    @classmethod
    def compile(cls, text: str) -> Template:
        """Parse ``text``; raises TemplateError (with position) when malformed."""
        parts: list[str | Part] = []
        uses_time = uses_random = False
        literal: list[str] = []
        pos = 0
        while True:
            start = text.find(OPEN, pos)
            if start < 0:
                literal.append(text[pos:])
                break
            literal.append(text[pos:start])
            end = text.find(CLOSE, start + 2)
            if end < 0:
                raise TemplateError("'{{' is not closed by '}}'", text, start)
            body = text[start + 2 : end]
            part, kind = _compile_placeholder(body, text, start)
            if isinstance(part, str):
                literal.append(part)
            else:
                if literal:
                    joined = "".join(literal)
                    if joined:
                        parts.append(joined)
                    literal = []
                parts.append(part)
                uses_time |= kind in _TIME_PARTS
                uses_random |= kind in ("uuid", "rand_int", "choice")
            pos = end + 2
        joined = "".join(literal)
        if joined:
            parts.append(joined)
        return cls(text, tuple(parts), uses_time, uses_random)

    @property
    def is_constant(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)

    def render(self, ctx: RenderContext) -> str:
        """The text for one message."""
        funcs = self._funcs
        if not funcs:
            return "".join(self.parts)  # type: ignore[arg-type]
        if len(funcs) == 1:
            return self._format % funcs[0](ctx)
        return self._format % tuple([f(ctx) for f in funcs])

    def render_at(self, i: int, *, seed: int | None = None, now: float | None = None) -> str:
        """Convenience for previews and tests: render message ``i`` alone."""
        return self.render(RenderContext(i, random.Random(seed), now))


def _compile_placeholder(body: str, text: str, start: int) -> tuple[str | Part, str]:
    """One placeholder's body (between the braces) -> a literal or a Part."""
    inner = body.strip()
    at = start + 2 + (len(body) - len(body.lstrip()))  # where the name begins
    if not inner:
        raise TemplateError(f"empty placeholder (expected one of: {', '.join(NAMES)})", text, start)
    if inner[0] == '"':
        if len(inner) < 2 or inner[-1] != '"':
            raise TemplateError("a quoted literal must end with '\"' before '}}'", text, at)
        return inner[1:-1], "literal"
    tokens = inner.split(None, 1)
    name = tokens[0]
    rest = tokens[1].strip() if len(tokens) > 1 else ""
    if name in _SIMPLE:
        if rest:
            raise TemplateError(f"'{{{{{name}}}}}' takes no arguments", text, at)
        return _SIMPLE[name](), name
    if name == "rand_int":
        args = rest.split()
        if len(args) != 2:
            raise TemplateError("'rand_int' needs two whole numbers: {{rand_int LOW HIGH}}", text, at)
        low, high = _parse_int(args[0]), _parse_int(args[1])
        if low is None or high is None:
            bad = args[0] if low is None else args[1]
            raise TemplateError(f"'rand_int': {bad!r} is not a whole number", text, at)
        if low > high:
            raise TemplateError(f"'rand_int': low {low} is greater than high {high}", text, at)
        return _rand_int(low, high), name
    if name == "choice":
        if not rest:
            raise TemplateError("'choice' needs options: {{choice a|b|c}}", text, at)
        return _choice(tuple(option.strip() for option in rest.split("|"))), name
    raise TemplateError(f"unknown placeholder '{name}' (expected one of: {', '.join(NAMES)})", text, at)


@dataclass(frozen=True)
class MessageTemplate:
    """Templates for one message's key, value and headers, rendered together so
    they share ``{{i}}`` and ``{{now}}``.  ``None`` key or value means null."""

    key: Template | None
    value: Template | None
    headers: tuple[tuple[Template, Template], ...] = ()

    @classmethod
    def compile(
        cls,
        key: str | None,
        value: str | None,
        headers: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    ) -> MessageTemplate:
        """Compile every field; the TemplateError names the field at fault."""

        def one(text: str, field: str) -> Template:
            try:
                return Template.compile(text)
            except TemplateError as exc:
                raise exc.in_field(field, text) from None

        compiled_headers = tuple(
            (one(name, f"header {n} name"), one(val, f"header '{name}'")) for n, (name, val) in enumerate(headers, 1)
        )
        return cls(
            one(key, "key") if key is not None else None,
            one(value, "value") if value is not None else None,
            compiled_headers,
        )

    def renderer(self, seed: int | None = None) -> Callable[[int], Rendered]:
        """A function ``i -> (key bytes, value bytes, headers)`` ready for the
        producer; constant parts are encoded once, here."""
        rng = random.Random(seed)
        # One context, reset per message: allocation is a visible share of the
        # per-message cost at load rates.
        ctx = RenderContext(0, rng)
        key_of = _field_renderer(self.key)
        value_of = _field_renderer(self.value)
        headers = self.headers
        fixed_headers: list[tuple[str, bytes]] | None = None
        if all(n.is_constant and v.is_constant for n, v in headers):
            fixed_headers = [(n.render_at(0), v.render_at(0).encode()) for n, v in headers]

        def render(i: int) -> Rendered:
            ctx.i = i
            ctx._now = None
            if fixed_headers is not None:
                # aiokafka only reads the list; sharing one is safe.
                return key_of(ctx), value_of(ctx), fixed_headers
            return key_of(ctx), value_of(ctx), [(n.render(ctx), v.render(ctx).encode()) for n, v in headers]

        return render


def _field_renderer(template: Template | None) -> Callable[[RenderContext], bytes | None]:
    """The cheapest function that renders and encodes one field."""
    if template is None:
        return lambda ctx: None
    if template.is_constant:
        constant = template.render_at(0).encode()
        return lambda ctx: constant
    fmt, funcs = template._format, template._funcs
    if len(funcs) == 1:
        only = funcs[0]
        return lambda ctx: (fmt % only(ctx)).encode()
    return lambda ctx: (fmt % tuple([f(ctx) for f in funcs])).encode()
