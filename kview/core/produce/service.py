"""ProduceService: what the UI and headless commands call to send.

Every sending method is a ``@write_action("produce")`` and checks the topic
(and partition) with one short Metadata request first, so an unknown topic
fails at once instead of after aiokafka's metadata wait.  Single sends share
one producer, rebuilt when the settings change.  A load or an import gets its
own producer and runs as a ProduceJob (``jobs.py``).  Importing checks the
whole file first and sends nothing when any line is bad; the error lists the
first bad lines with their numbers.

With a schema in the settings (``key_schema`` / ``value_schema``) the key
and/or value text is JSON, encoded with the subject's schema from the
registry before anything is sent: a record that does not fit is refused with
the field path and the reason (SchemaMismatch), a single send and a file
import sending nothing, a load stopping at that record (counted as failed).
Compiled encoders are kept per subject version; ``latest`` is looked up at
each send or job start."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaProducer
from aiokafka import errors as kafka_errors
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from kview.core.cluster import ClusterClient, connection_kwargs
from kview.core.errors import (
    KafkaRequestError,
    KViewError,
    error_name,
)
from kview.core.importers import (
    FileCheck,
    ImportFileError,
    ImportOptions,
    RecordEncoding,
    check_file,
)
from kview.core.models import TopicInfo
from kview.core.produce.encoding import (
    FIELDS,
    NO_ENCODERS,
    Field,
    MessageEncoders,
    SchemaChoice,
    schema_used,
)
from kview.core.produce.errors import InvalidMessage, ProduceError, validate_json
from kview.core.produce.explain import explain_error
from kview.core.produce.history import SendHistory
from kview.core.produce.jobs import (
    DEFAULT_WINDOW,
    LoadProgress,
    LoadSpec,
    ProduceJob,
    ProgressCallback,
    file_source,
    stop_producer,
    template_source,
)
from kview.core.produce.message import ComposedMessage, SendResult, ValueFormat
from kview.core.produce.settings import ProducerSettings
from kview.core.readonly import write_action
from kview.core.schemas.errors import RegistryError
from kview.core.templates import MessageTemplate

if TYPE_CHECKING:
    from kview.core.schemas.client import RegistryClient
    from kview.core.schemas.encoder import RecordEncoder

log = logging.getLogger(__name__)


# -- the service ---------------------------------------------------------------------


class ProduceService:
    """Sends messages to one cluster.  ``close()`` when done."""

    def __init__(
        self,
        client: ClusterClient,
        *,
        history_size: int = 100,
        ack_timeout: float | None = None,
        registry: RegistryClient | None = None,
    ) -> None:
        self.client = client
        self.registry = registry
        """The schema registry the settings' schemas come from (the caller's to close)."""
        self.ack_timeout = ack_timeout if ack_timeout is not None else client.profile.request_timeout_ms / 1000 + 5
        """How long a send, or a job with a full window, waits for acknowledgements."""
        self.settings = ProducerSettings.from_defaults(client.profile.producer)
        """The settings used when a call passes none; the UI's form edits them."""
        self.history = SendHistory(history_size)
        self._producer: AIOKafkaProducer | None = None
        self._producer_settings: ProducerSettings | None = None
        self._producer_lock = asyncio.Lock()
        self._jobs: set[ProduceJob] = set()
        self._encoders: dict[tuple[str, int, str | None], RecordEncoder] = {}

    @property
    def read_only(self) -> bool:
        return self.client.read_only

    @property
    def jobs(self) -> tuple[ProduceJob, ...]:
        """Loads and imports still running."""
        return tuple(job for job in self._jobs if not job.done)

    async def close(self) -> None:
        """Cancel running jobs (their counts settle) and close the producers."""
        jobs = list(self._jobs)
        for job in jobs:
            job.cancel()
        for job in jobs:
            if job._task is not None:
                await asyncio.wait([job._task])
        async with self._producer_lock:
            producer, self._producer = self._producer, None
            if producer is not None:
                await stop_producer(producer)

    # -- single message --

    @write_action("produce")
    async def send(
        self,
        message: ComposedMessage,
        settings: ProducerSettings | None = None,
        *,
        timeout: float | None = None,
    ) -> SendResult:
        """Send one message and wait for the broker's acknowledgement.

        Nothing is sent when the message or the settings are invalid (JSON
        errors carry line and column), the topic does not exist, or the
        partition is out of range.  ``timeout`` (default: ``ack_timeout``,
        the profile's request timeout plus 5 s) bounds the wait; past it the producer is
        discarded and the cause is looked for (e.g. too few in-sync replicas)."""
        settings = settings or self.settings
        settings.validate()
        message.check()
        encoders = await self.encoders(message.topic, settings)
        key, value, headers = message.encode(encoders)
        topic = message.topic
        await self._check_topic(topic, message.partition)
        size = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers)
        if timeout is None:
            timeout = self.ack_timeout
        producer = await self._shared_producer(settings)
        try:
            async with asyncio.timeout(timeout):
                fut = await producer.send(topic, value, key, message.partition, headers=headers)
                metadata = await fut
        except TimeoutError:
            await self._discard_shared_producer(producer)
            raise await self._timeout_error(topic, message.partition, settings, timeout) from None
        except Exception as exc:
            raise await self._explain(exc, topic, size=size) from None
        used = {
            "key_schema": encoders.key_used if message.key is not None else None,
            "value_schema": encoders.value_used if message.value is not None else None,
        }
        if metadata is None:  # acks=0
            result = SendResult(
                topic, message.partition if message.partition is not None else -1, None, None, None, **used
            )
        else:
            result = SendResult(
                metadata.topic,
                metadata.partition,
                metadata.offset,
                metadata.timestamp,
                "LogAppendTime" if metadata.timestamp_type == 1 else "CreateTime",
                **used,
            )
        self.history.record(message, result)
        return result

    # -- templated load --

    @write_action("produce")
    async def start_load(
        self,
        spec: LoadSpec,
        settings: ProducerSettings | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        window: int = DEFAULT_WINDOW,
    ) -> ProduceJob:
        """Check everything (templates, topic, settings), then start sending in
        the background.  Raises before anything is sent when something is wrong."""
        settings = settings or self.settings
        settings.validate()
        problems = spec.problems()
        if problems:
            raise ProduceError("; ".join(problems))
        template = MessageTemplate.compile(spec.key, spec.value, spec.headers)  # TemplateError
        encoders = await self.encoders(spec.topic, settings)
        if spec.value_format is ValueFormat.JSON and template.value is not None and encoders.value is None:
            # Placeholders can make any one message differ; the first one shows
            # mistakes in the template's JSON structure before anything is sent.
            validate_json(template.value.render_at(0, seed=spec.seed), what="the first rendered value")
        if encoders.active:
            # The same for the schema: the first rendered message must fit.
            first_key, first_value, _headers = template.renderer(spec.seed)(0)
            try:
                encoders.encode_bytes("key", first_key)
                encoders.encode_bytes("value", first_value)
            except InvalidMessage as exc:
                raise InvalidMessage(f"the first rendered message: {exc}; nothing sent") from None
        await self._check_topic(spec.topic, spec.partition)
        producer = await self._start_producer(settings, spec.topic)
        job = ProduceJob(
            producer,
            spec.topic,
            template_source(spec, template, encoders),
            explain=lambda exc: self._explain(exc, spec.topic, settings=settings, partition=spec.partition),
            total=spec.count,
            duration=spec.duration,
            rate=spec.rate,
            window=window,
            on_progress=on_progress,
            drain_timeout=self.ack_timeout,
        )
        self._launch(job)
        return job

    @write_action("produce")
    async def run_load(
        self,
        spec: LoadSpec,
        settings: ProducerSettings | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        window: int = DEFAULT_WINDOW,
    ) -> LoadProgress:
        """start_load and wait for the end; cancelling the caller cancels the load."""
        job = await self.start_load(spec, settings, on_progress=on_progress, window=window)
        return await job.wait()

    # -- file import --

    def check_import(self, path: Path | str, options: ImportOptions = ImportOptions()) -> FileCheck:
        """Read the whole file without sending: record count and first problems.
        Blocking file I/O: call it from a worker thread.  For the first records
        only, use ``kview.core.importers.preview_file``."""
        return check_file(path, options)

    @write_action("produce")
    async def start_import(
        self,
        path: Path | str,
        topic: str,
        options: ImportOptions = ImportOptions(),
        settings: ProducerSettings | None = None,
        *,
        partition: int | None = None,
        rate: float | None = None,
        on_progress: ProgressCallback | None = None,
        window: int = DEFAULT_WINDOW,
    ) -> ProduceJob:
        """Check the whole file (sending nothing if any line is bad: the
        ImportFileError lists the first bad lines), then send its records in
        the background.  ``partition`` overrides the records' own."""
        settings = settings or self.settings
        settings.validate()
        encoders = await self.encoders(topic, settings)
        encoding = RecordEncoding(encoders.field_encoder("key"), encoders.field_encoder("value"))
        checked = await asyncio.to_thread(check_file, path, options, encoding=encoding)
        if not checked.ok:
            shown = "; ".join(str(p) for p in checked.problems[:5])
            more = f" (and {checked.problem_count - 5} more)" if checked.problem_count > 5 else ""
            raise ImportFileError(
                f"{path}: {checked.problem_count} bad line(s), nothing sent: {shown}{more}", checked.problems
            )
        if checked.records == 0:
            raise ImportFileError(f"{path}: no records to send")
        info = await self._check_topic(topic, partition)
        if partition is None:
            known = {p.partition for p in info.partitions}
            missing = sorted(checked.partitions - known)
            if missing:
                raise ImportFileError(
                    f"{path}: records name partition {missing[0]}, but topic '{topic}' has "
                    f"{len(known)} partition(s) (0-{len(known) - 1}); nothing sent"
                )
        producer = await self._start_producer(settings, topic)
        job = ProduceJob(
            producer,
            topic,
            file_source(path, options, partition, encoding),
            explain=lambda exc: self._explain(exc, topic, settings=settings, partition=partition),
            total=checked.records,
            rate=rate,
            window=window,
            on_progress=on_progress,
            drain_timeout=self.ack_timeout,
        )
        self._launch(job)
        return job

    @write_action("produce")
    async def import_file(
        self,
        path: Path | str,
        topic: str,
        options: ImportOptions = ImportOptions(),
        settings: ProducerSettings | None = None,
        *,
        partition: int | None = None,
        rate: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> LoadProgress:
        """start_import and wait for the end."""
        job = await self.start_import(
            path, topic, options, settings, partition=partition, rate=rate, on_progress=on_progress
        )
        return await job.wait()

    # -- schemas --

    async def encoders(self, topic: str, settings: ProducerSettings | None = None) -> MessageEncoders:
        """The key and value encoders the settings ask for, for records sent
        to ``topic`` (NO_ENCODERS when neither uses a schema).  Raises
        ProduceError when no registry is configured, RegistryError when the
        subject or version is unknown or the registry cannot be reached."""
        settings = settings or self.settings
        if not settings.uses_schemas:
            return NO_ENCODERS
        found: dict[str, object] = {}
        for field in FIELDS:
            choice = settings.key_schema if field == "key" else settings.value_schema
            if choice is None:
                continue
            encoder = await self._encoder(topic, field, choice)
            found[field] = encoder
            found[f"{field}_used"] = schema_used(encoder, choice)
        return MessageEncoders(**found)  # type: ignore[arg-type]

    async def _encoder(self, topic: str, field: Field, choice: SchemaChoice) -> RecordEncoder:
        from kview.core.schemas.encoder import RecordEncoder

        if self.registry is None:
            raise ProduceError(
                f"the {field} is to be written with a schema, but no schema registry is configured "
                "(add schema_registry: to the cluster profile, or start kview with --schema-registry URL)"
            )
        if not topic and choice.subject is None:
            raise InvalidMessage("choose a topic (the subject is named after it)")
        subject = choice.subject_for(topic, field)
        try:
            version = choice.version
            if version == "latest":
                # One small request: a version registered since the last send is used at once.
                version = (await self.registry.version(subject, "latest")).version
            cache_key = (subject, version, choice.message)
            encoder = self._encoders.get(cache_key)
            if encoder is None:
                encoder = await RecordEncoder.for_subject(self.registry, subject, version, message=choice.message)
                self._encoders[cache_key] = encoder
            return encoder
        except RegistryError as exc:
            what = f"{field} schema {choice.describe(field, topic)}"
            raise type(exc)(f"{what}: {exc}", status=exc.status, code=exc.code) from None
        except KViewError as exc:  # a schema the codec cannot compile, a Protobuf message not in it
            raise ProduceError(f"{field} schema {choice.describe(field, topic)}: {exc}") from None

    # -- internals --

    def _launch(self, job: ProduceJob) -> None:
        self._jobs.add(job)
        job._start()
        assert job._task is not None
        job._task.add_done_callback(lambda _task: self._jobs.discard(job))

    async def _check_topic(self, topic: str, partition: int | None) -> TopicInfo:
        """One Metadata request: the topic exists, is writable, has the partition."""
        metadata = await self.client.metadata([topic])
        info = metadata.topic(topic)
        if info is None:
            raise KafkaRequestError(3, "the topic does not exist", subject=f"topic '{topic}'")
        if info.error is not None:
            # TopicInfo keeps Kafka's error in words, led by its name.
            if info.error.startswith(error_name(3)):
                raise KafkaRequestError(3, "the topic does not exist", subject=f"topic '{topic}'")
            if info.error.startswith(error_name(29)):
                raise explain_error(kafka_errors.TopicAuthorizationFailedError(), topic)
            raise ProduceError(f"topic '{topic}': {info.error}")
        if partition is not None:
            known = {p.partition for p in info.partitions}
            if partition not in known:
                raise ProduceError(
                    f"topic '{topic}' has {len(known)} partition(s) (0-{len(known) - 1}); "
                    f"there is no partition {partition}"
                )
        return info

    async def _start_producer(self, settings: ProducerSettings, topic: str) -> AIOKafkaProducer:
        kwargs = connection_kwargs(self.client.profile)
        kwargs.update(settings.producer_kwargs())
        try:
            producer = AIOKafkaProducer(**kwargs)
        except (ValueError, RuntimeError) as exc:
            raise ProduceError(f"producer settings rejected: {exc}") from None
        try:
            await producer.start()
        except BaseException as exc:
            await stop_producer(producer, undelivered=True)
            if isinstance(exc, Exception):
                raise await self._explain(exc, topic) from None
            raise
        return producer

    async def _shared_producer(self, settings: ProducerSettings) -> AIOKafkaProducer:
        async with self._producer_lock:
            # Only what the producer is built from counts: changing a schema keeps it.
            if (
                self._producer is not None
                and self._producer_settings is not None
                and self._producer_settings.producer_kwargs() == settings.producer_kwargs()
            ):
                return self._producer
            old, self._producer = self._producer, None
            if old is not None:
                await stop_producer(old)
            self._producer = await self._start_producer(settings, "")
            self._producer_settings = settings
            return self._producer

    async def _discard_shared_producer(self, producer: AIOKafkaProducer) -> None:
        async with self._producer_lock:
            if self._producer is producer:
                self._producer = None
        await stop_producer(producer, undelivered=True)

    async def _topic_config(self, topic: str, name: str) -> str | None:
        """One topic config value, or None when it cannot be read."""
        try:
            responses = await asyncio.wait_for(
                self.client.admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)]), 5
            )
            for response in responses:
                for resource in response.to_object()["resources"]:
                    for entry in resource["config_entries"]:
                        if entry["config_names"] == name:
                            return entry["config_value"]
        except Exception:  # only used to enrich an error message
            log.debug("describe configs of %s failed", topic, exc_info=True)
        return None

    async def _isr_detail(self, topic: str, partition: int | None) -> tuple[int, int, int] | None:
        try:
            metadata = await self.client.metadata([topic])
            info = metadata.topic(topic)
            min_isr = await self._topic_config(topic, "min.insync.replicas")
            if info is None or min_isr is None:
                return None
            needed = int(min_isr)
            for p in info.partitions:
                if (partition is None or p.partition == partition) and len(p.isr) < needed:
                    return p.partition, len(p.isr), needed
        except Exception:
            log.debug("ISR lookup of %s failed", topic, exc_info=True)
        return None

    async def _explain(
        self,
        exc: BaseException,
        topic: str,
        *,
        size: int | None = None,
        settings: ProducerSettings | None = None,
        partition: int | None = None,
    ) -> KViewError:
        """explain_error, with the topic's limits looked up when they help."""
        if isinstance(exc, kafka_errors.KafkaTimeoutError) and settings is not None and settings.acks == "all":
            # Unanswered acks=all writes are most often a partition short of in-sync replicas.
            isr = await self._isr_detail(topic, partition)
            if isr is not None:
                return explain_error(kafka_errors.NotEnoughReplicasError(), topic, isr=isr)
        if isinstance(
            exc, (kafka_errors.MessageSizeTooLargeError, kafka_errors.RecordListTooLargeError)
        ) and "max_request_size" not in str(exc):
            limit = await self._topic_config(topic, "max.message.bytes")
            return explain_error(exc, topic, size=size, max_message_bytes=int(limit) if limit else None)
        if isinstance(exc, (kafka_errors.NotEnoughReplicasError, kafka_errors.NotEnoughReplicasAfterAppendError)):
            return explain_error(exc, topic, isr=await self._isr_detail(topic, None))
        return explain_error(exc, topic, size=size)

    async def _timeout_error(
        self, topic: str, partition: int | None, settings: ProducerSettings, timeout: float
    ) -> KViewError:
        """No acknowledgement in time: name the likely cause."""
        if settings.acks == "all":
            isr = await self._isr_detail(topic, partition)
            if isr is not None:
                return explain_error(kafka_errors.NotEnoughReplicasError(), topic, isr=isr)
        return ProduceError(
            f"topic '{topic}': no acknowledgement within {timeout:g} s (broker slow or unreachable); "
            "the message may or may not have been written"
        )
