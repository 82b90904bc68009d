"""Property tests over the config parser: whatever the file holds, parsing
either gives a Config or raises ConfigError with one line naming the file, and
a password never shows in an error or a repr.

``--hypothesis-profile=fuzz`` (tests/conftest.py) runs each with 10,000 examples.
"""

from __future__ import annotations

import os
import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kview.core.config import Config, parse_config
from kview.core.errors import ConfigError

PATH = "/etc/kview/fuzz.yaml"
PASSWORD = "Fz-pw-7c1e9d"

# Words and punctuation that steer random text into YAML's interesting corners:
# block and flow collections, anchors and aliases, tags (valid, unknown and
# malformed), directives, documents, quoting, env references and kview's fields.
_TOKENS = [
    "clusters",
    "bootstrap",
    "security",
    "protocol",
    "sasl_mechanism",
    "username",
    "password",
    "password_file",
    "key_password",
    "key_password_file",
    "ca_file",
    "cert_file",
    "key_file",
    "check_hostname",
    "producer",
    "acks",
    "compression",
    "linger_ms",
    "batch_size",
    "idempotence",
    "read_only",
    "refresh_interval",
    "request_timeout_ms",
    "client_id",
    "default_cluster",
    "theme",
    "keys",
    "tail",
    "ring_capacity",
    "SASL_SSL",
    "SSL",
    "PLAIN",
    "SCRAM-SHA-512",
    "localhost:9092",
    "h:0",
    "h:65536",
    "[::1]:9092",
    "true",
    "no",
    "~",
    "null",
    "1e999",
    ".nan",
    "-.inf",
    "0x1F",
    "0o7",
    "1_000",
    "2024-13-45",
    "${HOME}",
    "${KVIEW_FUZZ_UNSET}",
    "${",
    ":",
    ": ",
    "- ",
    "-",
    " ",
    "  ",
    "\n",
    "\n  ",
    "\n    ",
    "\t",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    '"',
    "\\",
    "#",
    "|",
    ">",
    "?",
    "? ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "!!int ",
    "!!bool ",
    "!!float ",
    "!!timestamp ",
    "!!binary ",
    "!!set ",
    "!!python/object ",
    "!foo ",
    "!<tag:x> ",
    "%YAML 1.1\n",
    "%TAG ! tag:x,\n",
    "---\n",
    "...\n",
    "\x00",
    "\ufeff",
    "\u2028",
    "\x85",
    "é",
    "😀",
]
_yamlish = st.lists(st.sampled_from(_TOKENS), max_size=60).map("".join)

_FIELD_NAMES = [t for t in _TOKENS if t.isidentifier() or t.isalpha()]
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(_TOKENS),
)
_keys = st.one_of(st.sampled_from(_FIELD_NAMES), st.text(max_size=12))
_nested = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_keys, children, max_size=5)),
    max_leaves=25,
)

_security = st.fixed_dictionaries(
    {},
    optional={
        "protocol": st.one_of(st.sampled_from(["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "sasl_ssl"]), _scalars),
        "sasl_mechanism": st.one_of(st.sampled_from(["PLAIN", "SCRAM-SHA-256", "scram-sha-512"]), _scalars),
        "username": st.one_of(st.just("ops"), _scalars),
        "password": st.just(PASSWORD),
        "key_password": st.just(PASSWORD),
        "ca_file": st.one_of(st.just("/etc/ca.pem"), _scalars),
        "check_hostname": _scalars,
        "extra": _nested,
    },
)
_cluster = st.fixed_dictionaries(
    {},
    optional={
        "bootstrap": st.one_of(
            st.sampled_from(["localhost:9092", "a:1,b:2", "h:0", "nohost"]),
            st.lists(st.text(max_size=12), max_size=3),
            _scalars,
        ),
        "client_id": _scalars,
        "read_only": _scalars,
        "refresh_interval": _scalars,
        "request_timeout_ms": _scalars,
        "security": st.one_of(_security, _nested),
        "producer": st.one_of(
            st.dictionaries(
                st.sampled_from(["acks", "compression", "linger_ms", "batch_size", "idempotence"]), _scalars
            ),
            _nested,
        ),
    },
)
# Shaped like a real config, so that generated files get past the first
# checks and reach the deeper ones (security, producer, tail).
_config_like = st.fixed_dictionaries(
    {
        "clusters": st.dictionaries(
            st.text(string.ascii_letters + "-_ \n", min_size=1, max_size=8), _cluster, max_size=3
        )
    },
    optional={
        "default_cluster": _scalars,
        "theme": _scalars,
        "keys": st.one_of(st.dictionaries(st.text(max_size=8), _scalars, max_size=3), _nested),
        "tail": st.one_of(st.fixed_dictionaries({}, optional={"ring_capacity": _scalars}), _nested),
        "other": _nested,
    },
)

_settings = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _parse(text: str) -> Config | ConfigError:
    """Parse; only ConfigError may escape (anything else fails the test)."""
    try:
        return parse_config(text, PATH)
    except ConfigError as exc:
        return exc


def _check_outcome(outcome: Config | ConfigError) -> None:
    if isinstance(outcome, ConfigError):
        message = str(outcome)
        assert message.startswith(PATH), message
        assert len(message.splitlines()) == 1, message
        assert PASSWORD not in message
        # A chained exception would print a second traceback under the message.
        assert outcome.__cause__ is None
        assert outcome.__context__ is None or outcome.__suppress_context__
    else:
        assert isinstance(outcome, Config)
        assert PASSWORD not in repr(outcome)
        assert PASSWORD not in str(outcome)
        for profile in outcome.clusters.values():
            assert PASSWORD not in repr(profile.security)


@_settings
@given(st.text())
def test_arbitrary_text_gives_config_or_config_error(text):
    _check_outcome(_parse(text))


@_settings
@given(_yamlish)
def test_yaml_like_text_gives_config_or_config_error(text):
    _check_outcome(_parse(text))


@_settings
@given(_nested)
def test_arbitrary_structures_give_config_or_config_error(data):
    _check_outcome(_parse(yaml.safe_dump(data, allow_unicode=True)))


@_settings
@given(_config_like, st.sampled_from(["block", "flow"]))
def test_config_shaped_structures_give_config_or_config_error(data, style):
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=(style == "flow"))
    outcome = _parse(text)
    _check_outcome(outcome)
    if isinstance(outcome, Config):
        # What was accepted is what the file said.
        assert set(outcome.clusters) == set(data["clusters"])
        for profile in outcome.clusters.values():
            if profile.security.password is not None:
                assert profile.security.password.reveal() == PASSWORD
            assert profile.refresh_interval >= 0.2 and profile.request_timeout_ms >= 100


def test_fuzz_profile_is_in_force_when_asked(request):
    """The conftest's profiles reach these tests: 10,000 examples under fuzz."""
    profile = request.config.getoption("hypothesis_profile", None) or os.environ.get("HYPOTHESIS_PROFILE", "default")
    assert _settings.max_examples == settings.get_profile(profile).max_examples
    if profile == "fuzz":
        assert _settings.max_examples == 10_000


# Inputs the fuzzer found (or that sit next to them), kept as plain regressions.
REGRESSIONS = [
    "clusters:\n a:\n  bootstrap: !foo x\n",
    "clusters:\n a:\n  bootstrap: h:1\n  read_only: !!bool maybe\n",
    "clusters:\n a:\n  bootstrap: h:1\n  refresh_interval: !!float abc\n",
    "clusters:\n a:\n  bootstrap: !!timestamp x\n",
    "tail: {ring_capacity: !!int 0x}\n",
    "clusters:\n a:\n  bootstrap: h:1\n  security:\n   protocol: !!merge x\n",
    "clusters:\n a:\n  bootstrap: h:1\n  refresh_interval: .nan\n",
    "clusters:\n a:\n  bootstrap: h:1\n  refresh_interval: .inf\n",
    'clusters:\n a:\n  bootstrap: "h\\n:1"\n',
    "clusters:\n a:\n  bootstrap: h:\u0661\u0662\n",
    "clusters:\n a:\n  bootstrap: h:" + "1" * 5000 + "\n",
    'clusters:\n "a\\nb":\n  bootstrap: h:1\n  x: 1\n',
    'clusters:\n a:\n  bootstrap: h:1\n  security:\n   password_file: "/tmp/\\0x"\n',
    "[" * 5000,
]


def test_regressions_give_config_error():
    for text in REGRESSIONS:
        outcome = _parse(text)
        assert isinstance(outcome, ConfigError), text[:60]
        _check_outcome(outcome)


def test_undecodable_password_file_is_a_config_error(tmp_path):
    secret_file = tmp_path / "pw"
    secret_file.write_bytes(b"\xff\xfe" + PASSWORD.encode() + b"\xb0")
    text = (
        f"clusters:\n a:\n  bootstrap: h:1\n  security:\n   protocol: SASL_SSL\n"
        f"   sasl_mechanism: PLAIN\n   username: u\n   password_file: {secret_file}\n"
    )
    outcome = _parse(text)
    assert isinstance(outcome, ConfigError)
    assert "not UTF-8 text" in str(outcome)
    _check_outcome(outcome)
