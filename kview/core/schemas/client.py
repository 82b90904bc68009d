"""The registry client: Confluent's REST API (``/subjects``, ``/schemas/ids``,
``/config``, ``/compatibility``), as served by Confluent Schema Registry,
Apicurio's ``/apis/ccompat/v7``, Redpanda and Karapace.

Schemas by id are immutable, so they are cached for the life of the client;
concurrent requests for one id share one HTTP request (a burst of records with
a new id makes one request).  A failure to reach the registry puts it in
backoff (1 s, doubling to 60 s): until then calls fail at once with
RegistryUnavailable, so a tail of records with unknown ids does not wait on
every batch; ``status`` says so for the header.

Several URLs are tried in order: a URL that cannot be reached (refused, timed
out, TLS failure, or a gateway's 502/503/504) passes the request to the next
one, and the last URL that answered is tried first next time.  Errors are
one line and never carry a secret: URLs are shown without user info, and the
password, token and key password are registered with ``kview.core.logs`` so
no log line shows them either."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import math
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from kview.core.config import RegistrySettings
from kview.core.schemas.errors import RegistryError, RegistryUnavailable
from kview.core.schemas.models import CompatibilityResult, Schema, SchemaReference, SubjectSummary, SubjectVersion

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class RegistryStatus:
    """For the header: 'ok', 'unreachable' (with the last error and when the
    next try is) or 'unknown' (nothing asked yet).

    ``retry_at`` is wall-clock time (``time.time()``) of the next try while
    unreachable, else None."""

    state: str
    message: str = ""
    retry_at: float | None = None


VersionRef = int | Literal["latest"]

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
SUMMARY_CONCURRENCY = 8
"""Requests in flight at once while summarising subjects: a registry with
thousands of subjects is not hit by thousands of requests at a time."""
MAX_MESSAGE = 300
_GATEWAY_STATUSES = (502, 503, 504)


def _one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_url(url: str) -> str:
    """``url`` without user info (``https://user:pass@host`` -> ``https://host``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _path(*segments: str | int) -> str:
    # Subjects may hold '/', '?', '%' or spaces: each goes in as one segment.
    return "/" + "/".join(quote(str(s), safe="") for s in segments)


def _schema_from(body: dict[str, Any], schema_id: int | None) -> Schema:
    text = body.get("schema")
    if not isinstance(text, str):
        raise RegistryError("registry answer has no schema text")
    refs = []
    for item in body.get("references") or ():
        try:
            refs.append(
                SchemaReference(name=str(item["name"]), subject=str(item["subject"]), version=int(item["version"]))
            )
        except (KeyError, TypeError, ValueError):
            raise RegistryError("registry answer has a reference without name, subject or version") from None
    kind = str(body.get("schemaType") or "AVRO").upper()
    return Schema(type=kind, text=text, references=tuple(refs), id=schema_id)


def _schema_body(schema: Schema) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": schema.text}
    # Confluent's registry takes AVRO as the default; older ones reject the field.
    if schema.type != "AVRO":
        body["schemaType"] = schema.type
    if schema.references:
        body["references"] = [{"name": r.name, "subject": r.subject, "version": r.version} for r in schema.references]
    return body


class RegistryClient:
    def __init__(self, settings: RegistrySettings) -> None:
        self.settings = settings
        if not settings.urls:
            raise RegistryError("schema registry: no URL given")
        self._http: httpx.AsyncClient | None = None
        self._http_loop: asyncio.AbstractEventLoop | None = None
        self._current = 0
        self._schemas: dict[int, Schema] = {}
        self._inflight: dict[int, asyncio.Future[Schema]] = {}
        self._versions: dict[tuple[str, int], SubjectVersion] = {}
        self._failures = 0
        self._failed_at = -math.inf
        self._retry_mono: float | None = None
        self._status = RegistryStatus("unknown")
        self._now = time.monotonic
        self.requests = 0
        """HTTP requests sent so far (for tests and the benchmark)."""
        from kview.core.logs import register_secrets

        secrets = [s.reveal() for s in (settings.password, settings.token, settings.key_password) if s is not None]
        for url in settings.urls:  # a password written into a URL (http://user:pass@host) is one too
            try:
                password = urlsplit(url).password
            except ValueError:
                password = None
            if password:
                secrets.append(password)
        register_secrets(secrets)

    def __repr__(self) -> str:
        return f"RegistryClient({', '.join(display_url(u) for u in self.settings.urls)})"

    @property
    def status(self) -> RegistryStatus:
        return self._status

    @property
    def backoff(self) -> float:
        """Seconds the registry is left alone after the latest failure (0 when it answered last)."""
        return 0.0 if not self._failures else min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (self._failures - 1))

    @property
    def url(self) -> str:
        """The URL tried first (the last that answered), without user info."""
        return display_url(self.settings.urls[self._current])

    async def close(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            try:
                await http.aclose()
            except RuntimeError:  # its event loop is gone: nothing left to close
                pass

    # -- HTTP -------------------------------------------------------------------------
    def _ssl_context(self) -> ssl.SSLContext | bool:
        s = self.settings
        if not any(url.lower().startswith("https:") for url in s.urls):
            # No URL speaks TLS (and redirects are not followed): no context
            # to build.  Building httpx's default one loads the CA bundle,
            # tens of milliseconds before the first schema of every tail.
            return False
        if not (s.ca_file or s.cert_file):
            return True
        try:
            context = ssl.create_default_context(cafile=s.ca_file)
            if s.cert_file:
                password = s.key_password.reveal() if s.key_password is not None else None
                context.load_cert_chain(s.cert_file, s.key_file, password=password)
        except (OSError, ssl.SSLError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or type(exc).__name__
            raise RegistryError(
                _one_line(f"schema registry TLS settings: cannot load the CA or client certificate: {reason}")
            ) from None
        return context

    def _client(self) -> httpx.AsyncClient:
        import httpx

        loop = asyncio.get_running_loop()
        if self._http is None or self._http_loop is not loop:
            # A client's connections belong to the loop that opened them (tests
            # and headless commands run one loop each).
            s = self.settings
            headers = {"Accept": f"{CONTENT_TYPE}, application/json"}
            auth: httpx.BasicAuth | None = None
            if s.token is not None:
                headers["Authorization"] = f"Bearer {s.token.reveal()}"
            elif s.username is not None:
                auth = httpx.BasicAuth(s.username, s.password.reveal() if s.password is not None else "")
            self._http = httpx.AsyncClient(
                auth=auth,
                headers=headers,
                verify=self._ssl_context(),
                timeout=httpx.Timeout(s.timeout),
                follow_redirects=False,
            )
            self._http_loop = loop
        return self._http

    def _check_backoff(self) -> None:
        if self._retry_mono is not None:
            wait = self._retry_mono - self._now()
            if wait > 0:
                raise RegistryUnavailable(f"{self._status.message} (next try in {math.ceil(wait)} s)")

    def _reachable(self) -> None:
        self._failures = 0
        self._retry_mono = None
        if self._status.state != "ok":
            self._status = RegistryStatus("ok")

    def _unreachable(self, message: str, started: float) -> None:
        # Requests that were already in flight when a failure was recorded do
        # not double the backoff again: one outage, one step.
        if started >= self._failed_at:
            self._failures += 1
            self._failed_at = self._now()
            delay = self.backoff
            self._retry_mono = self._failed_at + delay
            self._status = RegistryStatus("unreachable", message, time.time() + delay)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        """The decoded JSON answer of the first URL that answers; RegistryError
        for an error answer, RegistryUnavailable when no URL answers."""
        import httpx

        self._check_backoff()
        client = self._client()
        started = self._now()
        content = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": CONTENT_TYPE} if content is not None else None
        urls = self.settings.urls
        problems: list[str] = []
        for step in range(len(urls)):
            index = (self._current + step) % len(urls)
            base = urls[index].rstrip("/")
            try:
                self.requests += 1
                response = await client.request(method, base + path, params=params, content=content, headers=headers)
            except httpx.TimeoutException:
                problems.append(f"{display_url(base)}: timed out after {self.settings.timeout:g} s")
                continue
            except (httpx.TransportError, ssl.SSLError, OSError) as exc:
                problems.append(f"{display_url(base)}: {_transport_reason(exc)}")
                continue
            if response.status_code in _GATEWAY_STATUSES and not _error_code(response):
                problems.append(f"{display_url(base)}: HTTP {response.status_code}")
                continue
            self._current = index
            self._reachable()
            return _answer(response, method, path)
        message = _one_line("schema registry unreachable: " + "; ".join(problems))
        self._unreachable(message, started)
        raise RegistryUnavailable(message)

    # -- reading ----------------------------------------------------------------------
    async def schema_by_id(self, schema_id: int) -> Schema:
        """The schema with this id (cached; one request per id however many ask)."""
        cached = self._schemas.get(schema_id)
        if cached is not None:
            return cached
        future = self._inflight.get(schema_id)
        if future is None or future.get_loop() is not asyncio.get_running_loop():
            future = asyncio.ensure_future(self._fetch_schema(schema_id))
            self._inflight[schema_id] = future
            future.add_done_callback(lambda f: self._fetched(schema_id, f))
        # shield: a caller that stops waiting (the decoder's bounded wait) does
        # not cancel the request the others share; its answer is still cached.
        return await asyncio.shield(future)

    def _fetched(self, schema_id: int, future: asyncio.Future[Schema]) -> None:
        if self._inflight.get(schema_id) is future:
            del self._inflight[schema_id]
        if not future.cancelled():
            future.exception()  # retrieved: every waiter may have given up

    async def _fetch_schema(self, schema_id: int) -> Schema:
        body = await self._request("GET", _path("schemas", "ids", schema_id))
        schema = _schema_from(_mapping(body), schema_id)
        self._schemas[schema_id] = schema
        return schema

    def remember(self, schema: Schema) -> None:
        """Cache ``schema`` under its id (one this client registered, or one
        read from elsewhere): ids never change meaning, so no request is needed."""
        if schema.id is None:
            raise ValueError("a schema without an id cannot be cached by id")
        self._schemas.setdefault(schema.id, schema)

    def cached_schema(self, schema_id: int) -> Schema | None:
        """The schema if already fetched, without asking the registry."""
        return self._schemas.get(schema_id)

    async def subjects(self, *, deleted: bool = False) -> list[str]:
        body = await self._request("GET", "/subjects", params={"deleted": "true"} if deleted else None)
        return [str(s) for s in _sequence(body)]

    async def versions(self, subject: str) -> list[int]:
        body = await self._request("GET", _path("subjects", subject, "versions"))
        return sorted(int(v) for v in _sequence(body))

    async def version(self, subject: str, version: VersionRef = "latest") -> SubjectVersion:
        if version != "latest":
            cached = self._versions.get((subject, int(version)))
            if cached is not None:
                return cached
        body = _mapping(await self._request("GET", _path("subjects", subject, "versions", version)))
        try:
            schema_id = int(body["id"])
            number = int(body["version"])
        except (KeyError, TypeError, ValueError):
            raise RegistryError(f"registry answer for {subject} version {version} has no id or version") from None
        schema = _schema_from(body, schema_id)
        self._schemas.setdefault(schema_id, schema)
        result = SubjectVersion(
            subject=str(body.get("subject") or subject), version=number, id=schema_id, schema=schema
        )
        self._versions[(subject, number)] = result
        return result

    async def subject_versions_of(self, schema_id: int) -> list[tuple[str, int]]:
        """(subject, version) pairs that hold this id (empty if the registry cannot say)."""
        try:
            body = await self._request("GET", _path("schemas", "ids", schema_id, "versions"))
        except RegistryUnavailable:
            raise
        except RegistryError:  # not served (older registries, Apicurio 2.x) or an unknown id
            return []
        pairs = []
        for item in body if isinstance(body, list) else ():
            if isinstance(item, dict) and "subject" in item and "version" in item:
                try:
                    pairs.append((str(item["subject"]), int(item["version"])))
                except (TypeError, ValueError):
                    continue
        return sorted(pairs)

    async def compatibility(self, subject: str | None = None) -> str | None:
        """The subject's compatibility level, falling back to the global one."""
        if subject is not None:
            level = await self._level(_path("config", subject))
            if level is not None:
                return level
        return await self._level("/config")

    async def _level(self, path: str) -> str | None:
        try:
            body = await self._request("GET", path)
        except RegistryUnavailable:
            raise
        except RegistryError as exc:
            if exc.status == 404:  # the subject has no level of its own
                return None
            raise
        if isinstance(body, dict):
            level = body.get("compatibilityLevel") or body.get("compatibility")
            return str(level) if level else None
        return None

    async def summaries(self, pattern: str | None = None) -> list[SubjectSummary]:
        """A summary per subject matching the glob ``pattern`` (bounded concurrency).

        A pattern without wildcards matches subjects that contain it (as the
        topics table's filter does).  Subjects deleted while being read are
        left out."""
        names = await self.subjects()
        if pattern:
            if any(c in pattern for c in "*?["):
                names = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
            else:
                names = [n for n in names if pattern in n]
        default_level = await self._level("/config")
        gate = asyncio.Semaphore(SUMMARY_CONCURRENCY)

        async def summary(subject: str) -> SubjectSummary | None:
            async with gate:
                try:
                    latest = await self.version(subject, "latest")
                    numbers = await self.versions(subject)
                    level = await self._level(_path("config", subject))
                except RegistryUnavailable:
                    raise
                except RegistryError as exc:
                    if exc.status == 404:
                        return None
                    raise
            return SubjectSummary(
                subject=subject,
                type=latest.schema.type,
                latest_version=latest.version,
                latest_id=latest.id,
                versions=len(numbers),
                compatibility=level or default_level,
            )

        found = await asyncio.gather(*(summary(n) for n in names))
        return sorted((s for s in found if s is not None), key=lambda s: s.subject)

    async def resolve_references(self, schema: Schema) -> dict[str, Schema]:
        """Every schema ``schema`` references, directly or not, by reference name."""
        resolved: dict[str, Schema] = {}
        seen: set[tuple[str, int]] = set()

        async def walk(refs: Sequence[SchemaReference]) -> None:
            for ref in refs:
                if (ref.subject, ref.version) in seen:
                    continue  # a diamond or a cycle: each schema once
                seen.add((ref.subject, ref.version))
                target = await self.version(ref.subject, ref.version)
                resolved.setdefault(ref.name, target.schema)
                await walk(target.schema.references)

        await walk(schema.references)
        return resolved

    # -- writing (the callers check read-only) -----------------------------------------
    async def check_compatibility(
        self, subject: str, schema: Schema, version: VersionRef = "latest"
    ) -> CompatibilityResult:
        try:
            body = await self._request(
                "POST",
                _path("compatibility", "subjects", subject, "versions", version),
                params={"verbose": "true"},
                body=_schema_body(schema),
            )
        except RegistryUnavailable:
            raise
        except RegistryError as exc:
            if exc.code in (40401, 40402) and version == "latest":
                return CompatibilityResult(True, (f"{subject} has no versions yet: any schema is compatible",))
            raise
        body = _mapping(body)
        # Confluent's registry lists its reasons in "messages"; Apicurio gives one in "reason".
        messages = body.get("messages") or ([body["reason"]] if body.get("reason") else ())
        return CompatibilityResult(
            compatible=bool(body.get("is_compatible")),
            messages=tuple(_one_line(str(m), 1000) for m in messages) if isinstance(messages, list) else (),
        )

    async def register(self, subject: str, schema: Schema) -> int:
        """Register ``schema`` under ``subject``; returns its id."""
        body = _mapping(await self._request("POST", _path("subjects", subject, "versions"), body=_schema_body(schema)))
        try:
            schema_id = int(body["id"])
        except (KeyError, TypeError, ValueError):
            raise RegistryError(f"registry answer to registering {subject} has no id") from None
        self._schemas.setdefault(schema_id, replace(schema, id=schema_id))
        return schema_id

    async def set_compatibility(self, subject: str | None, level: str) -> None:
        path = _path("config", subject) if subject is not None else "/config"
        await self._request("PUT", path, body={"compatibility": level.upper()})

    async def delete_version(self, subject: str, version: int, *, permanent: bool = False) -> int:
        body = await self._request(
            "DELETE",
            _path("subjects", subject, "versions", version),
            params={"permanent": "true"} if permanent else None,
        )
        self._versions.pop((subject, int(version)), None)
        try:
            return int(body)
        except (TypeError, ValueError):
            return int(version)

    async def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        body = await self._request(
            "DELETE", _path("subjects", subject), params={"permanent": "true"} if permanent else None
        )
        for key in [k for k in self._versions if k[0] == subject]:
            del self._versions[key]
        return sorted(int(v) for v in _sequence(body))


def _transport_reason(exc: BaseException) -> str:
    """One line for a connection failure (refused, DNS, TLS)."""
    cause: BaseException | None = exc
    # httpx wraps the OS / SSL error; its own text is often empty or generic.
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS: {cause.verify_message or 'certificate verify failed'}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS: {cause.reason or cause}"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    if "refused" in text.lower() or "errno 111" in text.lower():
        return "connection refused"
    return _one_line(f"{type(exc).__name__}: {text}" if text else type(exc).__name__, 200)


def _error_code(response: httpx.Response) -> int | None:
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("error_code") if isinstance(body, dict) else None
    return int(code) if isinstance(code, int) else None


def _answer(response: httpx.Response, method: str, path: str) -> Any:
    status = response.status_code
    if status < 300:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise RegistryError(f"registry answered {method} {path} with something that is not JSON") from None
    code: int | None = None
    detail = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        raw_code = body.get("error_code")
        code = raw_code if isinstance(raw_code, int) else None
        detail = str(body.get("message") or "")
    if not detail:
        detail = {401: "unauthorized", 403: "forbidden", 404: "not found"}.get(status, response.reason_phrase or "")
    suffix = f"HTTP {status}" + (f", error {code}" if code is not None else "")
    raise RegistryError(_one_line(f"schema registry: {detail} ({suffix})"), status=status, code=code)


def _mapping(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RegistryError("registry answer is not a JSON object")
    return body


def _sequence(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise RegistryError("registry answer is not a JSON list")
    return body
