"""``kview brokers``: the cluster's brokers, their log directories and the
KRaft quorum, once or every ``--watch`` seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kview.headless import render
from kview.headless.render import Doc, Printer
from kview.headless.runner import RunState, refresh_loop

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.core.cluster import ClusterClient


async def cmd_brokers(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.brokers import BrokerService

    service = BrokerService(client)

    async def fetch() -> Doc:
        return render.brokers_doc(await service.brokers())

    return await refresh_loop(args, printer, state, fetch, render.brokers_view)
