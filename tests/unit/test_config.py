"""Config parsing: valid profiles, secrets, and one-line errors with file and line."""

from __future__ import annotations

import pytest

from kview.core.config import Config, Secret, adhoc_profile, load_config, parse_config
from kview.core.errors import ConfigError

GOOD = """\
default_cluster: local
theme: kview-light
keys:
  app.quit: ctrl+q
clusters:
  local:
    bootstrap: localhost:9092
  prod:
    bootstrap: [k1:9093, k2:9093]
    client_id: ops-console
    read_only: true
    refresh_interval: 5
    security:
      protocol: sasl_ssl
      sasl_mechanism: SCRAM-SHA-512
      username: ops
      password: ${KVIEW_TEST_PASSWORD}
      ca_file: /etc/ca.pem
    producer:
      acks: 1
      compression: zstd
"""


def test_valid_config(monkeypatch):
    monkeypatch.setenv("KVIEW_TEST_PASSWORD", "s3cret-value")
    config = parse_config(GOOD, "cfg.yaml")
    assert config.default_cluster == "local"
    assert config.theme == "kview-light"
    assert config.keys == {"app.quit": "ctrl+q"}
    local = config.profile()
    assert local.bootstrap == ("localhost:9092",)
    assert local.read_only is False and local.refresh_interval == 2.0
    prod = config.profile("prod")
    assert prod.bootstrap_servers == "k1:9093,k2:9093"
    assert prod.read_only is True and prod.refresh_interval == 5.0
    assert prod.security.protocol == "SASL_SSL"
    assert prod.security.password.reveal() == "s3cret-value"
    assert "s3cret" not in repr(prod) and "s3cret" not in str(prod.security)
    assert prod.producer.acks == "1" and prod.producer.compression == "zstd"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("clusters:\n  a:\n    bootstrap: nohost\n", 3, "clusters.a.bootstrap: 'nohost' is not host:port"),
        (
            "clusters:\n  a:\n    bootstrap: h:1\n    read_only: maybe\n",
            4,
            "clusters.a.read_only: expected true or false",
        ),
        ("clusters:\n  a:\n    bootstrap: h:1\n    refresh: 3\n", 4, "clusters.a.refresh: unknown field"),
        ("clusters:\n  a:\n    client_id: x\n", 3, "clusters.a.bootstrap: missing"),
        ("default_cluster: b\nclusters:\n  a:\n    bootstrap: h:1\n", 1, "no cluster named 'b'"),
        ("clusters:\n  a:\n    bootstrap: h:1\n    refresh_interval: -1\n", 4, "must be at least"),
        ("clusters:\n  a:\n    bootstrap: h:1\n    security:\n      protocol: TLS\n", 5, "'TLS' is not one of"),
        (
            "clusters:\n  a:\n    bootstrap: h:1\n    security:\n      protocol: SASL_SSL\n",
            5,
            "sasl_mechanism: required",
        ),
        ("clusters: [1, 2\n", 2, "expected"),
        ("clusters:\n  a: {bootstrap: h:1\n", 3, "expected"),
        ("- just\n- a list\n", 1, "expected a mapping"),
    ],
)
def test_malformed_config_names_file_line_and_field(text, line, fragment):
    with pytest.raises(ConfigError) as info:
        parse_config(text, "/etc/kview.yaml")
    message = str(info.value)
    assert message.startswith(f"/etc/kview.yaml:{line}:"), message
    assert fragment in message
    assert "\n" not in message


def test_missing_env_var_is_a_config_error(monkeypatch):
    monkeypatch.delenv("KVIEW_NOT_SET", raising=False)
    text = (
        "clusters:\n  a:\n    bootstrap: h:1\n    security:\n      protocol: SASL_PLAINTEXT\n"
        "      sasl_mechanism: PLAIN\n      username: u\n      password: ${KVIEW_NOT_SET}\n"
    )
    with pytest.raises(ConfigError, match="KVIEW_NOT_SET is not set"):
        parse_config(text, "c.yaml")


def test_password_file(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    text = (
        "clusters:\n  a:\n    bootstrap: h:1\n    security:\n      protocol: SASL_PLAINTEXT\n"
        f"      sasl_mechanism: PLAIN\n      username: u\n      password_file: {secret}\n"
    )
    assert parse_config(text).profile("a").security.password.reveal() == "from-file"


def test_missing_file_is_an_empty_config(tmp_path):
    config = load_config(tmp_path / "absent.yaml")
    assert config.clusters == {}
    with pytest.raises(ConfigError, match="--bootstrap"):
        config.profile()


def test_unknown_cluster_lists_known_ones():
    config = parse_config("clusters:\n  a:\n    bootstrap: h:1\n  b:\n    bootstrap: h:2\n")
    with pytest.raises(ConfigError, match=r"unknown cluster 'c' \(known: a, b\)"):
        config.profile("c")


def test_single_cluster_is_the_default():
    assert parse_config("clusters:\n  only:\n    bootstrap: h:1\n").profile().name == "only"


def test_adhoc_profile_validates():
    assert adhoc_profile("a:1, b:2").bootstrap == ("a:1", "b:2")
    with pytest.raises(ConfigError):
        adhoc_profile("a:notaport")
    with pytest.raises(ConfigError):
        adhoc_profile(" , ")


def test_secret_never_shows():
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret) and "hunter2" not in f"{secret}"
    assert secret.reveal() == "hunter2"


def test_empty_file_is_fine():
    assert parse_config("", "c.yaml") == Config(path=parse_config("", "c.yaml").path)
