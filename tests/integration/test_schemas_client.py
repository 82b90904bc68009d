"""The registry client against the real registry (Apicurio's Confluent API):
reading, writing, caching with one request per id, references, summaries,
error answers, several URLs, and backoff while the registry is unreachable."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest

from kview.core.config import RegistrySettings, Secret
from kview.core.schemas.client import RegistryClient
from kview.core.schemas.errors import RegistryError, RegistryUnavailable
from kview.core.schemas.models import Schema, SchemaReference


def avro_record(name: str, *fields: tuple, namespace: str = "kview.test") -> Schema:
    """A record schema; a field is (name, type) or (name, type, default)."""
    specs = [{"name": f[0], "type": f[1], **({"default": f[2]} if len(f) > 2 else {})} for f in fields]
    return Schema("AVRO", json.dumps({"type": "record", "name": name, "namespace": namespace, "fields": specs}))


def refused_url() -> str:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/apis/ccompat/v7"


async def wait_for(predicate, bound: float = 30.0) -> None:
    deadline = time.monotonic() + bound
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.fixture
async def client(registry):
    c = RegistryClient(RegistrySettings(urls=(registry.url,)))
    yield c
    await c.close()


async def test_register_then_read_by_id_version_and_subject(client, unique_name):
    subject = f"{unique_name}-value"
    schema = avro_record("Order", ("id", "long"))
    schema_id = await client.register(subject, schema)
    assert subject in await client.subjects()
    assert await client.versions(subject) == [1]
    latest = await client.version(subject)
    assert (latest.subject, latest.version, latest.id) == (subject, 1, schema_id)
    assert json.loads(latest.schema.text) == json.loads(schema.text)
    fresh = RegistryClient(client.settings)
    try:
        by_id = await fresh.schema_by_id(schema_id)
        assert (by_id.type, by_id.id) == ("AVRO", schema_id)
        assert json.loads(by_id.text) == json.loads(schema.text)
        assert fresh.cached_schema(schema_id) == by_id
        # the same schema registered again, or under another subject: the same id
        assert await client.register(subject, schema) == schema_id
        assert await client.register(f"{unique_name}-other", schema) == schema_id
        assert await fresh.subject_versions_of(schema_id) == sorted([(subject, 1), (f"{unique_name}-other", 1)])
    finally:
        await fresh.close()


async def test_a_burst_for_one_id_makes_one_request(client, registry, unique_name):
    schema_id = await client.register(f"{unique_name}-value", avro_record("Burst", ("n", "int")))
    fresh = RegistryClient(RegistrySettings(urls=(registry.url,)))
    try:
        assert fresh.cached_schema(schema_id) is None
        results = await asyncio.gather(*(fresh.schema_by_id(schema_id) for _ in range(200)))
        assert fresh.requests == 1
        assert {r.id for r in results} == {schema_id}
        await fresh.schema_by_id(schema_id)
        assert fresh.requests == 1
    finally:
        await fresh.close()


async def test_a_waiter_that_gives_up_does_not_cancel_the_shared_request(client, registry, unique_name):
    schema_id = await client.register(f"{unique_name}-value", avro_record("Patient", ("n", "int")))
    fresh = RegistryClient(RegistrySettings(urls=(registry.url,)))
    try:
        impatient = asyncio.ensure_future(fresh.schema_by_id(schema_id))
        await asyncio.sleep(0)
        impatient.cancel()
        with pytest.raises(asyncio.CancelledError):
            await impatient
        await wait_for(lambda: fresh.cached_schema(schema_id) is not None)
        assert fresh.requests == 1
    finally:
        await fresh.close()


async def test_error_answers_carry_status_and_code(client, unique_name):
    with pytest.raises(RegistryError) as unknown_id:
        await client.schema_by_id(987_654_321)
    assert (unknown_id.value.status, unknown_id.value.code) == (404, 40403)
    assert not isinstance(unknown_id.value, RegistryUnavailable)
    with pytest.raises(RegistryError) as unknown_subject:
        await client.version(f"{unique_name}-missing")
    # Confluent says 40401 (subject not found); Apicurio 40402 (version not found)
    assert unknown_subject.value.status == 404 and unknown_subject.value.code in (40401, 40402)
    with pytest.raises(RegistryError) as invalid:
        await client.register(f"{unique_name}-value", Schema("AVRO", '{"type": "record", "nam'))
    assert (invalid.value.status, invalid.value.code) == (422, 42201)
    for error in (unknown_id.value, unknown_subject.value, invalid.value):
        assert "\n" not in str(error) and str(error).startswith("schema registry: ")
    # an error answer is an answer: the registry is reachable
    assert client.status.state == "ok"


async def test_compatibility_levels_and_checks(client, unique_name):
    subject = f"{unique_name}-value"
    await client.register(subject, avro_record("Evolving", ("a", "int")))
    # no level of its own: the global one (Apicurio's default is NONE)
    assert await client.compatibility(subject) == await client.compatibility()
    await client.set_compatibility(subject, "backward")
    assert await client.compatibility(subject) == "BACKWARD"
    added_optional = avro_record("Evolving", ("a", "int"), ("b", ["null", "string"], None))
    added_required = avro_record("Evolving", ("a", "int"), ("c", "string"))
    ok = await client.check_compatibility(subject, added_optional)
    bad = await client.check_compatibility(subject, added_required)
    # Confluent's own rule for BACKWARD: a new field without a default breaks it
    assert (ok.compatible, bad.compatible) == (True, False)
    # the registry's reason comes through ("messages" from Confluent's, "reason" from Apicurio)
    assert any("/fields/1" in m for m in bad.messages)  # the new field without a default
    new_subject = await client.check_compatibility(f"{unique_name}-new", added_required)
    assert new_subject.compatible and "no versions yet" in new_subject.messages[0]
    assert await client.register(subject, added_optional) > 0
    assert await client.versions(subject) == [1, 2]


async def test_summaries_filter_and_count(client, unique_name):
    await client.register(f"{unique_name}-a-value", avro_record("A", ("x", "int")))
    await client.register(f"{unique_name}-a-value", avro_record("A", ("x", "int"), ("y", ["null", "int"], None)))
    # Apicurio tells a JSON Schema by its content: a bare {"type": "object"} is refused (42201)
    json_schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    await client.register(f"{unique_name}-b-value", Schema("JSON", json.dumps(json_schema)))
    await client.set_compatibility(f"{unique_name}-b-value", "FULL")
    rows = await client.summaries(f"{unique_name}-*")
    assert [r.subject for r in rows] == [f"{unique_name}-a-value", f"{unique_name}-b-value"]
    a, b = rows
    assert (a.type, a.latest_version, a.versions) == ("AVRO", 2, 2)
    assert a.latest_id == (await client.version(a.subject)).id
    assert a.compatibility == await client.compatibility()
    assert (b.type, b.versions, b.compatibility) == ("JSON", 1, "FULL")
    # without wildcards: a substring
    assert [r.subject for r in await client.summaries(f"{unique_name}-b")] == [b.subject]


async def test_references_resolve_recursively(client, unique_name):
    ns = f"kview.{unique_name.replace('-', '_')}"
    money = Schema(
        "AVRO",
        json.dumps({"type": "record", "name": "Money", "namespace": ns, "fields": [{"name": "cents", "type": "long"}]}),
    )
    await client.register(f"{unique_name}-money", money)
    line = Schema(
        "AVRO",
        json.dumps(
            {"type": "record", "name": "Line", "namespace": ns, "fields": [{"name": "price", "type": f"{ns}.Money"}]}
        ),
        references=(SchemaReference(f"{ns}.Money", f"{unique_name}-money", 1),),
    )
    await client.register(f"{unique_name}-line", line)
    order = Schema(
        "AVRO",
        json.dumps(
            {
                "type": "record",
                "name": "Order",
                "namespace": ns,
                "fields": [
                    {"name": "lines", "type": {"type": "array", "items": f"{ns}.Line"}},
                    {"name": "total", "type": f"{ns}.Money"},
                ],
            }
        ),
        references=(
            SchemaReference(f"{ns}.Line", f"{unique_name}-line", 1),
            SchemaReference(f"{ns}.Money", f"{unique_name}-money", 1),
        ),
    )
    order_id = await client.register(f"{unique_name}-value", order)
    fetched = await client.schema_by_id(order_id)
    assert set(fetched.references) == set(order.references)
    resolved = await client.resolve_references(fetched)
    assert set(resolved) == {f"{ns}.Line", f"{ns}.Money"}
    assert json.loads(resolved[f"{ns}.Money"].text) == json.loads(money.text)
    assert resolved[f"{ns}.Line"].references == line.references


async def test_deletes(client, unique_name):
    subject = f"{unique_name}-value"
    await client.register(subject, avro_record("D", ("a", "int")))
    await client.register(subject, avro_record("D", ("a", "int"), ("b", ["null", "int"], None)))
    # Apicurio keeps a soft-deleted version listed (disabled); Confluent hides
    # it.  Both remove it for good when deleted again with permanent.
    assert await client.delete_version(subject, 1) == 1
    assert await client.delete_version(subject, 1, permanent=True) == 1
    assert await client.versions(subject) == [2]
    assert await client.delete_subject(subject) == [2]
    assert subject not in await client.subjects()
    assert subject in await client.subjects(deleted=True)
    assert await client.delete_subject(subject, permanent=True) == [2]
    assert subject not in await client.subjects(deleted=True)


async def test_the_next_url_when_one_is_unreachable(registry, unique_name):
    settings = RegistrySettings(urls=(refused_url(), registry.url), timeout=5)
    c = RegistryClient(settings)
    try:
        schema_id = await c.register(f"{unique_name}-value", avro_record("Fail", ("a", "int")))
        assert c.url == registry.url and c.status.state == "ok"
        assert c.cached_schema(schema_id) is not None  # what it registered, it knows by id
        sent = c.requests
        await c.subjects()  # the good URL is now tried first
        assert c.requests == sent + 1
    finally:
        await c.close()


async def test_unreachable_backs_off_doubling_and_says_so():
    c = RegistryClient(RegistrySettings(urls=(refused_url(),), password=Secret("reg-secret-pw"), username="u"))
    clock = [1000.0]
    c._now = lambda: clock[0]
    try:
        assert c.status.state == "unknown"
        with pytest.raises(RegistryUnavailable) as first:
            await c.schema_by_id(1)
        assert "connection refused" in str(first.value) and "reg-secret-pw" not in str(first.value)
        assert c.status.state == "unreachable" and c.status.retry_at is not None and c.backoff == 1
        sent = c.requests
        # within the backoff: at once, without a request, saying when the next try is
        for _ in range(50):
            with pytest.raises(RegistryUnavailable, match="next try in 1 s"):
                await c.subjects()
        assert c.requests == sent
        delays = []
        for _ in range(8):
            clock[0] += c.backoff
            with pytest.raises(RegistryUnavailable):
                await c.subjects()
            delays.append(c.backoff)
        assert delays == [2, 4, 8, 16, 32, 60, 60, 60]
        assert "reg-secret-pw" not in repr(c.status) and "reg-secret-pw" not in repr(c)
    finally:
        await c.close()


async def test_a_registry_that_does_not_answer_times_out():
    # A listening socket that never answers: the request is bounded by the timeout.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        c = RegistryClient(RegistrySettings(urls=(url,), timeout=0.5))
        try:
            with pytest.raises(RegistryUnavailable, match="timed out after 0.5 s"):
                await asyncio.wait_for(c.schema_by_id(1), 30)
            assert c.status.state == "unreachable"
        finally:
            await c.close()


async def test_recovers_when_the_registry_comes_back(registry, unique_name):
    """A TCP relay to the registry stands for the network: down, then up."""
    target_port = int(registry.url.split(":")[2].split("/")[0])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def relay(reader, writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)

        async def pipe(src, dst):
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)

    c = RegistryClient(RegistrySettings(urls=(f"http://127.0.0.1:{port}/apis/ccompat/v7",)))
    server = None
    try:
        with pytest.raises(RegistryUnavailable):
            await c.subjects()
        assert c.status.state == "unreachable"
        server = await asyncio.start_server(relay, "127.0.0.1", port)
        # the next try waits for the backoff (1 s) to pass
        with pytest.raises(RegistryUnavailable, match="next try"):
            await c.subjects()

        async def answered() -> bool:
            try:
                await c.register(f"{unique_name}-value", avro_record("Back", ("a", "int")))
                return True
            except RegistryUnavailable:
                return False

        deadline = time.monotonic() + 30
        while not await answered():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        assert c.status.state == "ok" and c.status.retry_at is None and c.backoff == 0
    finally:
        await c.close()
        if server is not None:
            server.close()
            await server.wait_closed()


async def test_credentials_are_sent_and_never_shown(registry, unique_name):
    # Apicurio here runs without authentication: it ignores the header, so
    # this proves credentials do not break requests and never reach a message.
    for settings in (
        RegistrySettings(urls=(registry.url,), username="ops", password=Secret("basic-secret-1")),
        RegistrySettings(urls=(registry.url,), token=Secret("bearer-secret-2")),
    ):
        c = RegistryClient(settings)
        try:
            assert isinstance(await c.subjects(), list)
            with pytest.raises(RegistryError) as caught:
                await c.schema_by_id(987_654_320)
            for text in (str(caught.value), repr(caught.value), repr(c), repr(settings), repr(c.status)):
                assert "basic-secret-1" not in text and "bearer-secret-2" not in text
        finally:
            await c.close()


async def test_tls_files_are_not_read_when_no_url_speaks_tls(registry, tmp_path):
    """TLS files only matter to https URLs: with plain http ones, a CA file
    that does not exist is never opened and the registry answers."""
    c = RegistryClient(RegistrySettings(urls=(registry.url,), ca_file=str(tmp_path / "missing-ca.pem")))
    try:
        assert registry.url.startswith("http://")
        assert isinstance(await c.subjects(), list)
    finally:
        await c.close()


async def test_unusable_tls_files_are_one_line_errors(tmp_path):
    c = RegistryClient(RegistrySettings(urls=("https://127.0.0.1:1",), ca_file=str(tmp_path / "missing-ca.pem")))
    try:
        with pytest.raises(RegistryError) as caught:
            await c.subjects()
        assert "cannot load the CA or client certificate" in str(caught.value)
        assert "\n" not in str(caught.value)
    finally:
        await c.close()


# -- TLS: the same registry served over https with the test CA's certificate --------------
@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory):
    """Apicurio (the harness's build) serving only https on a free loopback
    port with a certificate of kview's test CA.  Its build fixes client
    authentication off (a build-time Quarkus setting), so client certificates
    are loaded and offered here, not demanded."""
    import ssl
    import subprocess
    import urllib.request

    from kview.local.certs import make_dev_certificates
    from kview.local.registry import API_PATH, check_java, ensure_registry

    directory = tmp_path_factory.mktemp("tls_registry")
    certs = make_dev_certificates(directory / "certs")
    runner = ensure_registry(quiet=True)
    java = check_java()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        https_port = sock.getsockname()[1]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        http_port = sock.getsockname()[1]
    log = open(directory / "registry.log", "wb")
    process = subprocess.Popen(
        [
            java,
            "-Xmx192m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            f"-Djava.io.tmpdir={directory}",
            "-Dquarkus.http.host=127.0.0.1",
            f"-Dquarkus.http.port={http_port}",
            f"-Dquarkus.http.ssl-port={https_port}",
            f"-Dquarkus.http.ssl.certificate.files={certs.server_keystore}",
            f"-Dquarkus.http.ssl.certificate.key-files={certs.server_keystore}",
            "-Dquarkus.http.insecure-requests=disabled",
            "-Dquarkus.log.level=WARN",
            "-jar",
            str(runner),
        ],
        cwd=directory,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    url = f"https://localhost:{https_port}{API_PATH}"
    context = ssl.create_default_context(cafile=str(certs.ca_file))
    deadline = time.monotonic() + 120
    try:
        while True:
            assert process.poll() is None, (directory / "registry.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"{url}/subjects", timeout=2, context=context) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the TLS registry did not start in 120 s"
            time.sleep(0.2)
        yield url, certs
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def test_tls_with_the_ca_and_a_client_certificate(tls_registry, unique_name):
    url, certs = tls_registry
    settings = RegistrySettings(
        urls=(url,),
        ca_file=str(certs.ca_file),
        cert_file=str(certs.client_cert_file),
        key_file=str(certs.client_key_file),
        key_password=Secret(certs.client_key_password),
    )
    c = RegistryClient(settings)
    try:
        schema_id = await c.register(f"{unique_name}-value", avro_record("Tls", ("a", "int")))
        fresh = RegistryClient(settings)
        try:
            assert (await fresh.schema_by_id(schema_id)).id == schema_id
        finally:
            await fresh.close()
    finally:
        await c.close()


async def test_tls_refuses_a_certificate_of_another_ca(tls_registry):
    url, certs = tls_registry
    for settings in (
        RegistrySettings(urls=(url,), ca_file=str(certs.other_ca_file)),
        RegistrySettings(urls=(url,)),  # the system's CAs: they know nothing of the test CA
    ):
        c = RegistryClient(settings)
        try:
            with pytest.raises(RegistryUnavailable) as caught:
                await c.subjects()
            message = str(caught.value)
            assert "TLS:" in message and "certificate" in message and "\n" not in message, message
            assert c.status.state == "unreachable"
        finally:
            await c.close()


async def test_a_wrong_key_password_is_one_line_without_it(tls_registry):
    url, certs = tls_registry
    c = RegistryClient(
        RegistrySettings(
            urls=(url,),
            ca_file=str(certs.ca_file),
            cert_file=str(certs.client_cert_file),
            key_file=str(certs.client_key_file),
            key_password=Secret("not-the-key-password"),
        )
    )
    try:
        with pytest.raises(RegistryError) as caught:
            await c.subjects()
        message = str(caught.value)
        assert message.startswith("schema registry TLS settings: cannot load the CA or client certificate")
        assert "not-the-key-password" not in message and "not-the-key-password" not in repr(caught.value)
        assert c.requests == 0  # nothing was sent
    finally:
        await c.close()
