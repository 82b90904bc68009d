"""The Access model without Kafka: bindings checked as they are typed, quota
entities parsed, filters, previews, SCRAM's salted password (RFC 7677's
test vector), and the wire layouts of the requests kview builds against
hand-encoded bytes."""

from __future__ import annotations

import struct
from io import BytesIO

import pytest

from kview.core.access import AclBinding, AclChange, AclFilter, entity_text, new_binding, parse_entity, principal_of
from kview.core.access.service import salted_password
from kview.core.errors import InputError
from kview.core.protocol.access_requests import (
    AlterClientQuotasRequest,
    AlterUserScramCredentialsRequest,
    DescribeClientQuotasRequest,
    DescribeClientQuotasResponse_v1,
    DescribeUserScramCredentialsRequest,
    DescribeUserScramCredentialsResponse_v0,
)


def test_a_binding_is_checked_and_named_as_kafka_names_it():
    b = new_binding(principal="alice", operation="describe-configs", resource_type="topic", resource_name=" t ")
    assert (b.principal, b.operation, b.resource_type, b.resource_name, b.pattern_type, b.host, b.permission) == (
        "User:alice",
        "DESCRIBE_CONFIGS",
        "TOPIC",
        "t",
        "LITERAL",
        "*",
        "ALLOW",
    )
    cluster = new_binding(principal="User:ops", operation="alter", resource_type="cluster", resource_name="")
    assert cluster.resource_name == "kafka-cluster"
    with pytest.raises(InputError, match="unknown operation 'fly'"):
        new_binding(principal="a", operation="fly", resource_type="topic", resource_name="t")
    with pytest.raises(InputError, match="not ANY"):
        new_binding(principal="a", operation="any", resource_type="topic", resource_name="t")
    with pytest.raises(InputError, match="LITERAL or PREFIXED"):
        new_binding(principal="a", operation="read", resource_type="topic", resource_name="t", pattern_type="match")
    with pytest.raises(InputError, match="resource name"):
        new_binding(principal="a", operation="read", resource_type="group", resource_name=" ")
    with pytest.raises(InputError, match="principal"):
        principal_of("  ")


def test_a_bindings_own_filter_matches_it_alone():
    one = AclBinding("TOPIC", "t", "LITERAL", "User:a", "*", "READ", "ALLOW")
    other = AclBinding("TOPIC", "t", "LITERAL", "User:a", "*", "WRITE", "ALLOW")
    assert one.as_filter().matches(one) and not one.as_filter().matches(other)
    assert one.as_filter().wire() == (2, "t", 3, "User:a", "*", 3, 3)
    assert AclFilter().wire() == (1, None, 1, None, None, 1, 1)
    assert AclFilter(principal="User:a").matches(other) and not AclFilter(principal="User:b").matches(other)


def test_the_preview_says_what_is_added_deleted_and_left():
    a = AclBinding("GROUP", "g", "PREFIXED", "User:a", "*", "READ", "ALLOW")
    b = AclBinding("TOPIC", "t", "LITERAL", "User:a", "10.0.0.1", "WRITE", "DENY")
    change = AclChange(add=(a,), present=(b,))
    assert change.lines() == [
        "+ User:a from *: ALLOW READ on GROUP PREFIXED 'g'",
        "= User:a from 10.0.0.1: DENY WRITE on TOPIC LITERAL 't' (exists already)",
    ]
    assert AclChange().lines() == ["no change"] and AclChange().empty


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("user=alice", (("user", "alice"),)),
        ("user=<default>", (("user", None),)),
        ("client=app, user=", (("client-id", "app"), ("user", None))),
        ("ip=10.0.0.1", (("ip", "10.0.0.1"),)),
    ],
)
def test_quota_entities_parse(text, entity):
    assert parse_entity(text) == entity
    assert parse_entity(entity_text(entity)) == entity


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "name an entity"),
        ("group=g", "TYPE=NAME"),
        ("user=a,user=b", "named twice"),
        ("ip=1.2.3.4,user=a", "stands alone"),
    ],
)
def test_bad_quota_entities_are_refused_in_words(text, problem):
    with pytest.raises(InputError, match=problem):
        parse_entity(text)


def test_salted_password_is_rfc_7677s():
    # RFC 7677 section 3: user "user", password "pencil", 4096 iterations;
    # the server's stored key there derives from this SaltedPassword.
    import base64
    import hashlib
    import hmac

    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    salted = salted_password("pencil", salt, 4096, "SCRAM-SHA-256")
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    auth = (
        b"n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    )
    signature = hmac.new(stored_key, auth, hashlib.sha256).digest()
    proof = bytes(x ^ y for x, y in zip(client_key, signature, strict=True))
    assert base64.b64encode(proof) == b"dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="


def uv(n: int) -> bytes:
    return bytes([n])  # small unsigned varints are one byte


def cstr(s: str | None) -> bytes:
    return uv(0) if s is None else uv(len(s) + 1) + s.encode()


def test_describe_users_asks_for_everyone_with_an_empty_list_not_null():
    request = DescribeUserScramCredentialsRequest(None).build(DescribeUserScramCredentialsRequest._CLASSES[0])
    assert request.encode() == uv(1) + uv(0)  # an empty compact array, no tags
    named = DescribeUserScramCredentialsRequest(["al"]).build(DescribeUserScramCredentialsRequest._CLASSES[0])
    assert named.encode() == uv(2) + cstr("al") + uv(0) + uv(0)


def test_describe_users_response_decodes():
    raw = (
        struct.pack(">ih", 0, 0)
        + cstr(None)
        + uv(2)
        + cstr("alice")
        + struct.pack(">h", 0)
        + cstr(None)
        + uv(2)
        + struct.pack(">bi", 2, 8192)
        + uv(0)
        + uv(0)
        + uv(0)
    )
    response = DescribeUserScramCredentialsResponse_v0.decode(BytesIO(raw))
    assert response.results == [("alice", 0, None, [(2, 8192, {})], {})]


def test_quota_requests_encode_defaults_as_null_names():
    describe = DescribeClientQuotasRequest([]).build(DescribeClientQuotasRequest._CLASSES[1])
    assert describe.encode() == uv(1) + b"\x00" + uv(0)
    alter = AlterClientQuotasRequest([((("user", None),), [("producer_byte_rate", 1024.0, False)])])
    encoded = alter.build(AlterClientQuotasRequest._CLASSES[1]).encode()
    assert encoded == (
        uv(2)
        + uv(2)
        + cstr("user")
        + cstr(None)
        + uv(0)
        + uv(2)
        + cstr("producer_byte_rate")
        + struct.pack(">d", 1024.0)
        + b"\x00"
        + uv(0)
        + uv(0)
        + b"\x00"
        + uv(0)
    )
    classic = alter.build(AlterClientQuotasRequest._CLASSES[0]).encode()
    assert classic.startswith(struct.pack(">i", 1) + struct.pack(">i", 1) + struct.pack(">h", 4) + b"user")
    assert struct.pack(">h", -1) in classic  # the default: a null name


def test_describe_quotas_response_decodes_defaults():
    raw = (
        struct.pack(">ih", 0, 0)
        + cstr(None)
        + uv(2)
        + uv(2)
        + cstr("client-id")
        + cstr(None)
        + uv(0)
        + uv(2)
        + cstr("consumer_byte_rate")
        + struct.pack(">d", 999.0)
        + uv(0)
        + uv(0)
        + uv(0)
    )
    response = DescribeClientQuotasResponse_v1.decode(BytesIO(raw))
    assert response.entries == [([("client-id", None, {})], [("consumer_byte_rate", 999.0, {})], {})]


def test_the_scram_request_never_shows_its_secrets():
    request = AlterUserScramCredentialsRequest([("bob", 1)], [("alice", 2, 4096, b"SALT-XYZ", b"HASH-XYZ")])
    built = request.build(AlterUserScramCredentialsRequest._CLASSES[0])
    for text in (repr(request), repr(built), str(built)):
        assert "alice" in text and "SALT-XYZ" not in text and "HASH-XYZ" not in text
    assert b"SALT-XYZ" in built.encode()  # but they are sent
