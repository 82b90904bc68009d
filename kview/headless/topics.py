"""``kview topics`` and ``kview topic``: the topic list and one topic's
partitions and configs; and require_topic, the lookup every command that
names a topic (``topic``, ``tail``, ``produce``) starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kview.core.errors import KafkaRequestError, KViewError
from kview.headless import render
from kview.headless.render import Doc, Printer
from kview.headless.runner import NotFound, RunState, refresh_loop

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.core.cluster import ClusterClient
    from kview.core.models import TopicInfo


async def require_topic(client: ClusterClient, name: str) -> TopicInfo:
    """The topic's metadata, or NotFound.  Asks with auto-creation off:
    ``ClusterClient.metadata([name])`` lets a broker with
    auto.create.topics.enable create the topic it is asked about."""
    from aiokafka.protocol.metadata import MetadataRequest

    from kview.core.cluster import metadata_from_response
    from kview.core.errors import error_name

    response = await client.send_any(MetadataRequest([name], False), f"metadata of topic {name}")
    info = metadata_from_response(response.to_object()).topic(name)
    if info is None or (info.error and info.error.startswith(error_name(3))):
        raise NotFound(f"topic '{name}' does not exist")
    if info.error and not info.partitions:
        raise KViewError(f"topic '{name}': {info.error}")
    return info


async def cmd_topics(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.topics import TopicService

    service = TopicService(client)

    async def fetch() -> Doc:
        snapshot = await service.topics(include_internal=not args.exclude_internal)
        return render.topics_doc(snapshot, args.pattern)

    return await refresh_loop(args, printer, state, fetch, render.topics_view)


async def cmd_topic(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.topics import TopicService

    service = TopicService(client)

    async def fetch() -> Doc:
        await require_topic(client, args.name)
        try:
            detail = await service.topic_detail(args.name)
        except KafkaRequestError as exc:
            if exc.code == 3:
                raise NotFound(f"topic '{args.name}' does not exist") from None
            raise
        return render.topic_doc(detail)

    return await refresh_loop(
        args, printer, state, fetch, lambda doc: render.topic_view(doc, all_configs=args.all_configs)
    )
