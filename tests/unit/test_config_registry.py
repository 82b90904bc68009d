"""The profile's ``schema_registry:`` block and ``--schema-registry``: URLs,
credentials by ${ENV} or file, TLS files, and one-line errors naming file,
line and field; secrets never shown."""

from __future__ import annotations

import argparse

import pytest

from kview.cli import build_parser, resolve_profile
from kview.core.config import RegistrySettings, Secret, adhoc_registry, parse_config
from kview.core.errors import ConfigError


def profile_of(block: str):
    text = "clusters:\n  a:\n    bootstrap: h:1\n" + block
    return parse_config(text, "cfg.yaml").profile("a")


def test_no_block_means_no_registry():
    assert profile_of("").schema_registry is None
    assert profile_of("    schema_registry:\n").schema_registry is None


def test_a_url_alone():
    settings = profile_of("    schema_registry: http://localhost:8081\n").schema_registry
    assert settings == RegistrySettings(urls=("http://localhost:8081",))


def test_the_full_mapping(monkeypatch, tmp_path):
    monkeypatch.setenv("KVIEW_TEST_REGISTRY_PASSWORD", "reg-pass-123")
    key_password = tmp_path / "keypass"
    key_password.write_text("key-pass-456\n")
    settings = profile_of(
        "    schema_registry:\n"
        "      url: [https://r1:8081/apis/ccompat/v7, https://r2:8081]\n"
        "      username: ops\n"
        "      password: ${KVIEW_TEST_REGISTRY_PASSWORD}\n"
        "      ca_file: /etc/ca.pem\n"
        "      cert_file: /etc/client.pem\n"
        "      key_file: /etc/client.key\n"
        f"      key_password_file: {key_password}\n"
        "      timeout: 2.5\n"
    ).schema_registry
    assert settings.urls == ("https://r1:8081/apis/ccompat/v7", "https://r2:8081")
    assert settings.username == "ops"
    assert settings.password.reveal() == "reg-pass-123"
    assert settings.key_password.reveal() == "key-pass-456"
    assert (settings.ca_file, settings.cert_file, settings.key_file) == (
        "/etc/ca.pem",
        "/etc/client.pem",
        "/etc/client.key",
    )
    assert settings.timeout == 2.5
    assert "reg-pass" not in repr(settings) and "key-pass" not in repr(settings)


def test_token_from_a_file(tmp_path):
    token = tmp_path / "token"
    token.write_text("tok-abc-789\n")
    settings = profile_of(f"    schema_registry:\n      url: http://h:1\n      token_file: {token}\n").schema_registry
    assert settings.token == Secret("tok-abc-789")
    assert settings.username is None and settings.password is None


def test_comma_separated_urls():
    settings = profile_of("    schema_registry: http://a:1, http://b:2\n").schema_registry
    assert settings.urls == ("http://a:1", "http://b:2")


@pytest.mark.parametrize(
    ("block", "line", "fragment"),
    [
        ("    schema_registry: localhost:8081\n", 4, "clusters.a.schema_registry: 'localhost:8081' is not an http"),
        ("    schema_registry:\n      username: x\n", 5, "clusters.a.schema_registry.url: missing"),
        ("    schema_registry:\n      url: ftp://h/\n", 5, "clusters.a.schema_registry.url: 'ftp://h/' is not an http"),
        ("    schema_registry:\n      url: []\n", 5, "clusters.a.schema_registry.url: no URL given"),
        ("    schema_registry:\n      url: http://h:99999\n", 5, "is not a URL"),
        ("    schema_registry:\n      url: http://h\n      colour: red\n", 6, "schema_registry.colour: unknown field"),
        (
            "    schema_registry:\n      url: http://h\n      timeout: 0\n",
            6,
            "schema_registry.timeout: must be at least",
        ),
        ("    schema_registry:\n      url: http://h\n      timeout: soon\n", 6, "timeout: expected a number"),
        (
            "    schema_registry:\n      url: http://h\n      username: u\n",
            6,
            "schema_registry.password: required with username",
        ),
        (
            "    schema_registry:\n      url: http://h\n      password: p\n",
            6,
            "schema_registry.username: required with password",
        ),
        (
            "    schema_registry:\n      url: http://h\n      username: u\n      password: p\n      token: t\n",
            8,
            "schema_registry.token: give either a token or username and password",
        ),
        (
            "    schema_registry:\n      url: http://h\n      token: t\n      token_file: /x\n",
            6,
            "schema_registry.token: give either token or token_file, not both",
        ),
        (
            "    schema_registry:\n      url: http://h\n      key_file: /k\n",
            6,
            "schema_registry.cert_file: required with key_file",
        ),
        (
            "    schema_registry:\n      url: http://h\n      token_file: /nonexistent/kview-token\n",
            6,
            "schema_registry.token_file: cannot read /nonexistent/kview-token",
        ),
        ("    schema_registry: [http://a:1]\n", 4, "schema_registry: expected a URL, or a mapping"),
    ],
)
def test_bad_blocks_name_file_line_and_field(block, line, fragment):
    with pytest.raises(ConfigError) as caught:
        profile_of(block)
    message = str(caught.value)
    assert message.startswith(f"cfg.yaml:{line}: "), message
    assert fragment in message
    assert "\n" not in message


def test_a_missing_env_var_names_the_field(monkeypatch):
    monkeypatch.delenv("KVIEW_TEST_MISSING_TOKEN", raising=False)
    with pytest.raises(ConfigError) as caught:
        profile_of("    schema_registry:\n      url: http://h\n      token: ${KVIEW_TEST_MISSING_TOKEN}\n")
    assert "schema_registry.token" in str(caught.value) and "KVIEW_TEST_MISSING_TOKEN" in str(caught.value)


def test_url_with_user_info_is_shown_without_it():
    with pytest.raises(ConfigError) as caught:
        profile_of("    schema_registry: ftp://user:hunter22@h/\n")
    assert "hunter22" not in str(caught.value) and "ftp://h/" in str(caught.value)


def test_adhoc_registry_replaces_only_the_urls():
    base = RegistrySettings(urls=("https://old:1",), username="u", password=Secret("pw-1234"), ca_file="/ca")
    settings = adhoc_registry("http://new:2, http://new:3", base)
    assert settings.urls == ("http://new:2", "http://new:3")
    assert settings.username == "u" and settings.password == Secret("pw-1234") and settings.ca_file == "/ca"
    assert adhoc_registry("http://new:2") == RegistrySettings(urls=("http://new:2",))
    with pytest.raises(ConfigError, match="--schema-registry: 'nope' is not"):
        adhoc_registry("nope")
    with pytest.raises(ConfigError, match="--schema-registry: no URL given"):
        adhoc_registry(" , ")


@pytest.mark.parametrize(
    "argv",
    [
        ["--schema-registry", "http://r:1", "-b", "h:1"],
        ["--schema-registry", "http://r:1", "-b", "h:1", "topics"],
        ["-b", "h:1", "topics", "--schema-registry", "http://r:1"],
        ["tail", "t", "--bootstrap", "h:1", "--schema-registry", "http://r:1"],
        ["--cluster", "a", "produce", "t", "--schema-registry", "http://r:1"],
    ],
)
def test_the_option_before_or_after_a_command(argv):
    args = build_parser().parse_args(argv)
    config = parse_config(
        "clusters:\n  a:\n    bootstrap: h:1\n    schema_registry:\n      url: http://old:1\n      timeout: 3\n"
    )
    profile = resolve_profile(config, args)
    assert profile.schema_registry.urls == ("http://r:1",)
    # from a profile with a block: its other settings stay
    assert profile.schema_registry.timeout == (3 if "--cluster" in argv else 10.0)


def test_every_headless_command_takes_the_option():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    names = [n for n in commands.choices if n != "demo"]
    assert "tail" in names and "produce" in names
    for name in names:
        # A command with actions (``offsets export|import``): each action is a command line of its own.
        sub = next((a for a in commands.choices[name]._actions if isinstance(a, argparse._SubParsersAction)), None)
        lines = [[name]] if sub is None else [[name, action] for action in sub.choices]
        for line in lines:
            leaf = commands.choices[name] if sub is None else sub.choices[line[1]]
            args = parser.parse_args([*line, *(["x"] * _positionals(leaf)), "--schema-registry", "http://r:1"])
            assert args.schema_registry == "http://r:1", line


def _positionals(parser: argparse.ArgumentParser) -> int:
    return sum(1 for a in parser._actions if not a.option_strings and a.nargs is None)


def test_without_the_option_the_profile_block_stays():
    args = build_parser().parse_args(["--cluster", "a", "topics"])
    config = parse_config("clusters:\n  a:\n    bootstrap: h:1\n    schema_registry: http://old:1\n")
    assert resolve_profile(config, args).schema_registry.urls == ("http://old:1",)


def test_a_bad_option_value_is_one_line_on_stderr():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "kview.cli", "topics", "--bootstrap", "h:1", "--schema-registry", "registry:8081"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "kview: --schema-registry: 'registry:8081' is not an http:// or https:// URL with a host"
    )
