"""Message templates: every placeholder, malformed templates with positions,
and arbitrary text (only TemplateError may escape compile, render never fails)."""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kview.core.errors import KViewError
from kview.core.templates import MessageTemplate, RenderContext, Template, TemplateError

FIXED_NOW = 1_700_000_000.123  # 2023-11-14T22:13:20.123Z


def render(text: str, i: int = 0, seed: int | None = 7, now: float | None = FIXED_NOW) -> str:
    return Template.compile(text).render_at(i, seed=seed, now=now)


# -- every placeholder --------------------------------------------------------------


def test_literal_text_is_unchanged_including_single_braces_and_percent():
    text = '{"a": {"b": [1, 2]}} 100% done }} } {'
    assert render(text) == text


def test_i_is_the_sequence_number():
    assert render("msg-{{i}}", i=0) == "msg-0"
    assert render("msg-{{i}}", i=41) == "msg-41"
    assert render("{{ i }}/{{i}}", i=3) == "3/3"


def test_uuid_is_a_random_version_4_uuid_per_occurrence():
    text = render("{{uuid}} {{uuid}}", seed=None)
    first, second = text.split(" ")
    for value in (first, second):
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    assert first != second


def test_uuid_is_reproducible_with_a_seed():
    assert render("{{uuid}}", seed=5) == render("{{uuid}}", seed=5)
    assert render("{{uuid}}", seed=5) != render("{{uuid}}", seed=6)


def test_now_is_iso_8601_utc_with_milliseconds():
    assert render("{{now}}") == "2023-11-14T22:13:20.123Z"
    parsed = datetime.strptime(render("{{now}}", now=None), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(parsed.timestamp() - datetime.now(UTC).timestamp()) < 5


def test_now_ms_is_epoch_milliseconds():
    assert render("{{now_ms}}") == "1700000000123"


def test_now_and_now_ms_agree_within_one_message():
    template = MessageTemplate.compile("{{now_ms}}", "{{now}}")
    for i in range(50):
        key, value, _ = template.renderer()(i)
        stamp = datetime.fromtimestamp(int(key) / 1000, tz=UTC)
        assert value.decode() == stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def test_rand_int_stays_within_both_ends_and_reaches_them():
    template = Template.compile("{{rand_int -2 3}}")
    rng = random.Random(1)
    seen = {int(template.render(RenderContext(i, rng))) for i in range(500)}
    assert seen == {-2, -1, 0, 1, 2, 3}


def test_rand_int_with_equal_ends():
    assert render("{{rand_int 7 7}}") == "7"


def test_choice_picks_each_trimmed_option():
    template = Template.compile("{{choice red | green|blue }}")
    rng = random.Random(2)
    seen = {template.render(RenderContext(i, rng)) for i in range(300)}
    assert seen == {"red", "green", "blue"}


def test_choice_allows_an_empty_option():
    template = Template.compile("x{{choice a|}}")
    rng = random.Random(3)
    assert {template.render(RenderContext(i, rng)) for i in range(200)} == {"xa", "x"}


def test_quoted_literal_writes_braces():
    assert render('{{"{{"}}i}}') == "{{i}}"
    assert render('a{{ "}" }}b') == "a}b"


def test_json_with_placeholders_stays_json():
    text = '{"id": "{{uuid}}", "n": {{i}}, "r": {{rand_int 1 9}}, "c": "{{choice x|y}}", "at": {{now_ms}}}'
    for i in range(20):
        obj = json.loads(render(text, i=i, seed=i))
        assert obj["n"] == i and 1 <= obj["r"] <= 9 and obj["c"] in ("x", "y")


def test_message_template_renders_key_value_headers_and_nulls():
    template = MessageTemplate.compile("k-{{i}}", None, [("h-{{i}}", "v{{i}}"), ("fixed", "1")])
    key, value, headers = template.renderer(seed=1)(12)
    assert key == b"k-12"
    assert value is None
    assert headers == [("h-12", b"v12"), ("fixed", b"1")]
    key, value, headers = MessageTemplate.compile(None, "v", [("a", "b")]).renderer()(0)
    assert (key, value, headers) == (None, b"v", [("a", b"b")])


def test_unicode_is_encoded_as_utf8():
    key, value, _ = MessageTemplate.compile("ключ-{{i}}", "värde ✓").renderer()(1)
    assert key == "ключ-1".encode()
    assert value == "värde ✓".encode()


# -- malformed templates, with positions ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("abc {{i", 4, "not closed"),
        ("{{", 0, "not closed"),
        ("x{{}}", 1, "empty placeholder"),
        ("x{{   }}", 1, "empty placeholder"),
        ("ab{{nope}}", 4, "unknown placeholder 'nope'"),
        ("ab{{  nope}}", 6, "unknown placeholder 'nope'"),
        ("{{i 2}}", 2, "takes no arguments"),
        ("{{uuid x}}", 2, "takes no arguments"),
        ("{{rand_int}}", 2, "needs two whole numbers"),
        ("{{rand_int 1}}", 2, "needs two whole numbers"),
        ("{{rand_int 1 2 3}}", 2, "needs two whole numbers"),
        ("{{rand_int a 2}}", 2, "'a' is not a whole number"),
        ("{{rand_int 1 2.5}}", 2, "'2.5' is not a whole number"),
        ("{{rand_int 9 1}}", 2, "greater than high"),
        ("{{choice}}", 2, "needs options"),
        ('{{"abc}}', 2, "quoted literal"),
        ("ok {{i}} then {{bad}}", 16, "unknown placeholder 'bad'"),
    ],
)
def test_malformed_templates_report_the_position(text, position, words):
    with pytest.raises(TemplateError) as info:
        Template.compile(text)
    error = info.value
    assert isinstance(error, KViewError)
    assert error.position == position
    assert error.column == position + 1
    assert words in str(error)
    assert f"column {position + 1}" in str(error)


def test_position_on_a_later_line_gives_line_and_column():
    with pytest.raises(TemplateError) as info:
        Template.compile('{\n  "a": {{i}},\n  "b": {{oops}}\n}')
    assert (info.value.line, info.value.column) == (3, 10)
    assert "line 3, column 10" in str(info.value)


def test_message_template_names_the_field_at_fault():
    with pytest.raises(TemplateError, match=r"^value: template error at column 4"):
        MessageTemplate.compile("k{{i}}", "v{{x}}")
    with pytest.raises(TemplateError, match=r"^key: "):
        MessageTemplate.compile("{{", "v")
    with pytest.raises(TemplateError, match=r"^header 'trace': "):
        MessageTemplate.compile("k", "v", [("ok", "1"), ("trace", "{{rand_int 2 1}}")])


# -- arbitrary text --------------------------------------------------------------------

template_alphabet = st.sampled_from(
    list('{}| "\n\tai0123456789-+.') + ["{{", "}}", "i", "uuid", "now", "now_ms", "rand_int", "choice", "é", "%"]
)
template_text = st.one_of(st.text(), st.lists(template_alphabet, max_size=40).map("".join))


@given(template_text, st.integers(min_value=0, max_value=10**12), st.integers())
def test_arbitrary_text_compiles_or_raises_template_error_only(text, i, seed):
    try:
        template = Template.compile(text)
    except TemplateError as error:
        assert 0 <= error.position <= len(text)
        assert error.line >= 1 and error.column >= 1
        return
    rendered = template.render_at(i, seed=seed)
    assert isinstance(rendered, str)
    rendered.encode()  # always encodable for the producer
    if "{{" not in text:
        assert rendered == text


@given(
    st.text(alphabet=st.characters(blacklist_characters="{}"), min_size=0, max_size=30),
    st.integers(min_value=0, max_value=10**9),
)
def test_literal_text_around_i_is_kept(prefix, i):
    assert render(prefix + "{{i}}" + prefix, i=i) == f"{prefix}{i}{prefix}"


@given(st.integers(min_value=-(10**6), max_value=10**6), st.integers(min_value=0, max_value=10**6), st.integers())
def test_rand_int_any_range(low, span, seed):
    value = int(render(f"{{{{rand_int {low} {low + span}}}}}", seed=seed))
    assert low <= value <= low + span


def test_uuid_format_is_canonical():
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", render("{{uuid}}"))
