"""``kview leaders``, ``kview elect-leaders`` and ``kview reassign
plan|apply|status|cancel``: leader balance, leader elections and partition
reassignments from a script, on ``kview.core.reassign``.

Plans are given by intent (``--drain``, ``--spread``, ``--replication-factor``,
``--move``) or as a ``kafka-reassign-partitions`` JSON file (``--file``), and
written in that format (``--output``), so plans move between kview and
Kafka's tool.  ``--dry-run`` prints what would be done and sends nothing.

Exit codes besides kview's usual ones (see kview.headless): ``leaders`` 1
when a partition is not led by its preferred replica; ``elect-leaders``,
``apply``, ``cancel`` 1 when Kafka refused a partition (the others went
ahead: the output names each); ``status`` 4 while a reassignment is still
in progress (0 once every partition is done)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from kview.core.format import human_bytes, human_duration
from kview.headless import EXIT_ERROR, EXIT_FOUND, EXIT_OK
from kview.headless.render import Doc, Part, Printer, _table, dash
from kview.headless.runner import RunState, UsageError, note, refresh_loop
from kview.headless.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from argparse import Namespace

    from kview.core.cluster import ClusterClient
    from kview.core.reassign.models import (
        ApplyResult,
        CancelResult,
        ElectionReport,
        LeaderBalance,
        PlanIntent,
        ReassignmentPlan,
        ReassignProgress,
        Replicas,
        TopicPartition,
    )
    from kview.core.reassign.service import ReassignService

EXIT_IN_PROGRESS = 4
"""``reassign status``: some partition is still moving."""

WAIT_POLL_SECONDS = 2.0
"""How often ``apply --wait`` looks at the progress."""


def _doc(kind: str, **fields: Any) -> Doc:
    return {"kind": kind, "schema_version": SCHEMA_VERSION, "taken_at": time.time(), **fields}


def _bytes_rate(value: float | None) -> str:
    return "-" if value is None else f"{human_bytes(value)}/s"


def _ids(values: Any) -> str:
    return ",".join(str(v) for v in values) or "-"


def _partition_arg(text: str) -> TopicPartition:
    """TOPIC:PARTITION (the topic may hold ':' itself; the last one splits)."""
    topic, sep, index = text.rpartition(":")
    if not sep or not topic or not index.isdigit():
        raise UsageError(f"'{text}' is not TOPIC:PARTITION (e.g. orders:3)")
    return topic, int(index)


def _move_arg(text: str) -> tuple[TopicPartition, Replicas]:
    """TOPIC:PARTITION=B1,B2,..."""
    where, sep, brokers = text.rpartition("=")
    if not sep:
        raise UsageError(f"'{text}' is not TOPIC:PARTITION=BROKER,BROKER,... (e.g. orders:3=1,2,3)")
    parts = [b.strip() for b in brokers.split(",")]
    if not parts or not all(b.isdigit() for b in parts):
        raise UsageError(f"'{text}': the brokers must be ids separated by commas (e.g. orders:3=1,2,3)")
    return _partition_arg(where), tuple(int(b) for b in parts)


def _service(client: ClusterClient) -> ReassignService:
    from kview.core.reassign.service import ReassignService

    return ReassignService(client)


# -- leaders --------------------------------------------------------------------------


def leaders_doc(balance: LeaderBalance) -> Doc:
    return _doc(
        "leaders",
        partitions=balance.partitions,
        offline=balance.offline,
        balanced=balance.balanced,
        not_preferred_count=balance.not_preferred_count,
        bytes_error=balance.bytes_error,
        brokers=[
            {
                "id": b.node_id,
                "rack": b.rack,
                "online": b.online,
                "leaders": b.leaders,
                "preferred_leaders": b.preferred_leaders,
                "replicas": b.replicas,
                "bytes": b.bytes,
            }
            for b in balance.brokers
        ],
        not_preferred=[
            {
                "topic": n.topic,
                "partition": n.partition,
                "leader": n.leader,
                "preferred": n.preferred,
                "replicas": list(n.replicas),
                "isr": list(n.isr),
                "preferred_in_sync": n.preferred_in_sync,
            }
            for n in balance.not_preferred
        ],
    )


def leaders_view(doc: Doc) -> list[Part]:
    head = (
        f"{doc['partitions']} partition(s), {doc['not_preferred_count']} not led by their preferred replica, "
        f"{doc['offline']} without a leader"
    )
    table = _table(
        "BROKER",
        "RACK",
        "STATE",
        "LEADERS",
        "PREFERRED",
        "REPLICAS",
        "BYTES",
        right=("BROKER", "LEADERS", "PREFERRED", "REPLICAS", "BYTES"),
    )
    for b in doc["brokers"]:
        table.add_row(
            str(b["id"]),
            b["rack"] or "-",
            "online" if b["online"] else "OFFLINE",
            str(b["leaders"]),
            str(b["preferred_leaders"]),
            str(b["replicas"]),
            human_bytes(b["bytes"]) if b["bytes"] is not None else "?",
        )
    out: list[Part] = [head, table]
    if doc["bytes_error"]:
        out.append(f"bytes: {doc['bytes_error']}")
    if doc["not_preferred"]:
        rows = _table("TOPIC", "PARTITION", "LEADER", "PREFERRED", "REPLICAS", "ISR", "ELECTABLE", right=("PARTITION",))
        for n in doc["not_preferred"]:
            rows.add_row(
                n["topic"],
                str(n["partition"]),
                "none" if n["leader"] < 0 else str(n["leader"]),
                str(n["preferred"]),
                _ids(n["replicas"]),
                _ids(n["isr"]),
                "yes" if n["preferred_in_sync"] else "no (preferred replica out of sync)",
            )
        out += ["", rows]
    return out


async def cmd_leaders(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    service = _service(client)

    async def fetch() -> Doc:
        from kview.core.reassign.planner import PlanError
        from kview.headless.runner import NotFound

        try:
            balance = await service.leader_balance(args.topics or None, with_bytes=not args.no_bytes)
        except PlanError as exc:
            raise NotFound(str(exc)) from None
        return leaders_doc(balance)

    return await refresh_loop(
        args, printer, state, fetch, leaders_view, code_of=lambda doc: EXIT_OK if doc["balanced"] else EXIT_FOUND
    )


# -- elect-leaders --------------------------------------------------------------------


def election_doc(report: ElectionReport | None, *, election: str, dry_run: bool, planned: list[Doc]) -> Doc:
    results = planned
    if report is not None:
        results = [
            {
                "topic": r.topic,
                "partition": r.partition,
                "outcome": r.outcome,
                "error": r.error,
                "leader_before": r.leader_before,
                "leader_after": r.leader_after,
            }
            for r in report.results
        ]

    def count(outcome: str) -> int:
        return sum(1 for r in results if r["outcome"] == outcome)

    return _doc(
        "elect-leaders",
        election=election,
        dry_run=dry_run,
        elected=count("elected"),
        not_needed=count("not needed"),
        failed=count("failed"),
        results=results,
    )


def election_view(doc: Doc) -> list[Part]:
    if doc["dry_run"]:
        head = f"dry run: {doc['election']} election would be asked for {len(doc['results'])} partition(s)"
    else:
        head = (
            f"{doc['election']} election: {doc['elected']} elected, {doc['not_needed']} not needed, "
            f"{doc['failed']} failed"
        )
    if not doc["results"]:
        return [head, "nothing to elect: every partition asked for is led by a valid replica"]
    table = _table("TOPIC", "PARTITION", "OUTCOME", "LEADER BEFORE", "LEADER AFTER", "ERROR", right=("PARTITION",))
    for r in doc["results"]:
        table.add_row(
            r["topic"],
            str(r["partition"]),
            r["outcome"],
            dash(r["leader_before"]),
            dash(r["leader_after"]),
            r["error"] or "",
        )
    return [head, table]


async def cmd_elect_leaders(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.reassign.models import ElectionType

    unclean = args.type == "unclean"
    if unclean and not args.allow_data_loss:
        raise UsageError(
            "an unclean election may elect a replica that lacks acknowledged records (data loss): "
            "add --allow-data-loss to go ahead"
        )
    chosen = [_partition_arg(p) for p in args.partition or ()]
    if not (args.all or args.topic or chosen):
        raise UsageError("say which partitions: --all, --topic TOPIC or --partition TOPIC:PARTITION")
    service = _service(client)
    async with asyncio.timeout(state.bound):
        metadata = await client.metadata()
        wanted: list[TopicPartition] | None
        if args.all:
            wanted = None
        else:
            wanted = list(chosen)
            for name in args.topic or ():
                topic = metadata.topic(name)
                if topic is None:
                    from kview.headless.runner import NotFound

                    raise NotFound(f"topic '{name}' does not exist")
                wanted += [(name, p.partition) for p in topic.partitions]
        if args.dry_run:
            keys = None if wanted is None else set(wanted)
            planned = [
                {
                    "topic": p.topic,
                    "partition": p.partition,
                    "outcome": "planned",
                    "error": None,
                    "leader_before": p.leader,
                    "leader_after": None,
                }
                for p in metadata.partitions
                if (keys is None or (p.topic, p.partition) in keys)
                and (p.leader < 0 if unclean else bool(p.replicas) and p.leader != p.replicas[0])
            ]
            doc = election_doc(None, election=args.type, dry_run=True, planned=planned)
        else:
            report = await service.elect_leaders(wanted, ElectionType.UNCLEAN if unclean else ElectionType.PREFERRED)
            doc = election_doc(report, election=args.type, dry_run=False, planned=[])
    _print(args, printer, doc, election_view)
    return EXIT_OK if doc["failed"] == 0 else EXIT_ERROR


# -- plans ----------------------------------------------------------------------------


def _intent(args: Namespace) -> PlanIntent:
    """The plan intent of the arguments (exactly one must be given)."""
    from kview.core.reassign.models import (
        ChangeReplicationFactor,
        DrainBroker,
        MovePartitions,
        SpreadReplicas,
    )
    from kview.core.reassign.plan_file import read_plan_file

    given = [
        name
        for name, value in (
            ("--drain", args.drain),
            ("--spread", args.spread),
            ("--replication-factor", args.replication_factor),
            ("--move", args.move),
            ("--file", args.file),
        )
        if value
    ]
    if len(given) != 1:
        raise UsageError(
            "give one plan: --drain BROKER, --spread, --replication-factor N --topic T, "
            "--move TOPIC:PARTITION=BROKERS or --file PLAN.json" + (f" (not {' and '.join(given)})" if given else "")
        )
    topics = tuple(args.topic) if args.topic else None
    if args.drain is not None:
        return DrainBroker(args.drain, topics, use_racks=not args.no_racks)
    if args.spread:
        brokers = None
        if args.brokers:
            try:
                brokers = tuple(int(b) for b in args.brokers.split(","))
            except ValueError:
                raise UsageError(f"--brokers '{args.brokers}': broker ids separated by commas") from None
        return SpreadReplicas(topics, brokers, use_racks=not args.no_racks)
    if args.replication_factor is not None:
        if not topics or len(topics) != 1:
            raise UsageError("--replication-factor needs one --topic")
        return ChangeReplicationFactor(topics[0], args.replication_factor)
    if args.move:
        moves = dict(_move_arg(m) for m in args.move)
        return MovePartitions(moves)
    return MovePartitions(read_plan_file(args.file))


def _assignment_doc(assignments: dict[TopicPartition, Replicas]) -> Doc:
    """The ``kafka-reassign-partitions`` JSON of ``assignments``, as an object."""
    import json

    from kview.core.reassign.plan_file import assignments_to_json

    document: Doc = json.loads(assignments_to_json(assignments))
    return document


def plan_fields(plan: ReassignmentPlan) -> Doc:
    return {
        "description": plan.description,
        "moves": [
            {
                "topic": m.topic,
                "partition": m.partition,
                "current": list(m.current),
                "target": list(m.target),
                "adding": list(m.adding),
                "removing": list(m.removing),
                "size": m.size,
                "bytes_to_copy": m.bytes_to_copy,
            }
            for m in plan.moves
        ],
        "brokers": [
            {
                "id": b.node_id,
                "rack": b.rack,
                "online": b.online,
                "replicas_before": b.replicas_before,
                "replicas_after": b.replicas_after,
                "preferred_before": b.preferred_before,
                "preferred_after": b.preferred_after,
                "bytes_in": b.bytes_in,
                "bytes_out": b.bytes_out,
            }
            for b in plan.brokers
        ],
        "bytes_to_copy": plan.bytes_to_copy,
        "unknown_sizes": plan.unknown_sizes,
        "warnings": list(plan.warnings),
        "plan": _assignment_doc(plan.assignments),
        "rollback": _assignment_doc(plan.rollback),
    }


def plan_view(doc: Doc) -> list[Part]:
    moves = doc["moves"]
    head = f"{doc['description']}: {len(moves)} partition(s) move, {human_bytes(doc['bytes_to_copy'])} to copy" + (
        f" ({doc['unknown_sizes']} of unknown size)" if doc["unknown_sizes"] else ""
    )
    out: list[Part] = [head]
    if moves:
        table = _table("TOPIC", "PARTITION", "FROM", "TO", "ADDING", "REMOVING", "COPY", right=("PARTITION", "COPY"))
        for m in moves:
            table.add_row(
                m["topic"],
                str(m["partition"]),
                _ids(m["current"]),
                _ids(m["target"]),
                _ids(m["adding"]),
                _ids(m["removing"]),
                "?" if m["bytes_to_copy"] is None else human_bytes(m["bytes_to_copy"]),
            )
        out += [table, ""]
    brokers = _table(
        "BROKER",
        "RACK",
        "REPLICAS",
        "AFTER",
        "PREFERRED",
        "AFTER ",
        "BYTES IN",
        "BYTES OUT",
        right=("BROKER", "REPLICAS", "AFTER", "PREFERRED", "AFTER ", "BYTES IN", "BYTES OUT"),
    )
    for b in doc["brokers"]:
        brokers.add_row(
            str(b["id"]) + ("" if b["online"] else " (offline)"),
            b["rack"] or "-",
            str(b["replicas_before"]),
            str(b["replicas_after"]),
            str(b["preferred_before"]),
            str(b["preferred_after"]),
            human_bytes(b["bytes_in"]),
            human_bytes(b["bytes_out"]),
        )
    out.append(brokers)
    out += [f"warning: {w}" for w in doc["warnings"]]
    return out


def _print(args: Namespace, printer: Printer, doc: Doc, view: Any) -> None:
    if args.json:
        printer.json(doc)
    else:
        printer.view(view(doc))


async def _make_plan(args: Namespace, client: ClusterClient) -> ReassignmentPlan:
    intent = _intent(args)
    return await _service(client).plan(intent, with_sizes=not args.no_sizes)


async def cmd_reassign_plan(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.reassign.plan_file import write_plan_file

    async with asyncio.timeout(state.bound):
        plan = await _make_plan(args, client)
    if args.output:
        write_plan_file(args.output, plan.assignments)
    if args.rollback_output:
        write_plan_file(args.rollback_output, plan.rollback)
    doc = _doc("reassign-plan", **plan_fields(plan))
    if args.output != "-":
        _print(args, printer, doc, plan_view)
    return EXIT_OK


# -- apply, status, cancel --------------------------------------------------------------


def progress_fields(progress: ReassignProgress) -> Doc:
    return {
        "total": progress.total,
        "done": progress.done,
        "finished": progress.finished,
        "bytes_copied": progress.bytes_copied,
        "bytes_remaining": progress.bytes_remaining,
        "rate": progress.rate,
        "eta": progress.eta,
        "throttle_rate": progress.throttle_rate,
        "errors": list(progress.errors),
        "partitions": [
            {
                "topic": p.topic,
                "partition": p.partition,
                "target": list(p.target),
                "replicas": list(p.replicas),
                "adding": list(p.adding),
                "removing": list(p.removing),
                "isr": list(p.isr),
                "leader": p.leader,
                "done": p.done,
                "size": p.size,
                "copied": p.copied,
                "remaining": p.remaining,
            }
            for p in progress.partitions
        ],
    }


def progress_view(doc: Doc) -> list[Part]:
    if not doc["partitions"]:
        return ["no reassignment in progress"]
    head = (
        f"{doc['done']}/{doc['total']} partition(s) done, {human_bytes(doc['bytes_copied'])} copied, "
        f"{human_bytes(doc['bytes_remaining'])} to go, rate {_bytes_rate(doc['rate'])}"
        f", ETA {human_duration(doc['eta']) if doc['eta'] is not None else '-'}"
        f", throttle {'none' if doc['throttle_rate'] is None else _bytes_rate(doc['throttle_rate'])}"
    )
    table = _table(
        "TOPIC",
        "PARTITION",
        "STATE",
        "REPLICAS",
        "TARGET",
        "ISR",
        "LEADER",
        "COPIED",
        "REMAINING",
        right=("PARTITION", "LEADER", "COPIED", "REMAINING"),
    )
    for p in doc["partitions"]:
        table.add_row(
            p["topic"],
            str(p["partition"]),
            "done" if p["done"] else "moving",
            _ids(p["replicas"]),
            _ids(p["target"]),
            _ids(p["isr"]),
            "none" if p["leader"] < 0 else str(p["leader"]),
            "?" if p["copied"] is None else human_bytes(p["copied"]),
            "?" if p["remaining"] is None else human_bytes(p["remaining"]),
        )
    out: list[Part] = [head, table]
    out += [f"note: {e}" for e in doc["errors"]]
    if doc.get("throttle_removed"):
        out.append("every partition is done: the replication throttle was removed")
    return out


def apply_doc(plan: ReassignmentPlan, result: ApplyResult | None, *, dry_run: bool, throttle: Any) -> Doc:
    settings = result.throttle if result is not None else throttle
    return _doc(
        "reassign-apply",
        **plan_fields(plan),
        dry_run=dry_run,
        throttle=None
        if settings is None
        else {
            "rate": settings.rate,
            "brokers": list(settings.brokers),
            "topics": [
                {
                    "topic": topic,
                    "leader_replicas": settings.topic_leader_replicas.get(topic),
                    "follower_replicas": settings.topic_follower_replicas.get(topic),
                }
                for topic in sorted(set(settings.topic_leader_replicas) | set(settings.topic_follower_replicas))
            ],
        },
        started=[] if result is None else [{"topic": t, "partition": p} for t, p in result.started],
        errors=[]
        if result is None
        else [{"topic": e.topic, "partition": e.partition, "error": e.error} for e in result.errors],
        progress=None,
    )


def apply_view(doc: Doc) -> list[Part]:
    out = plan_view(doc)
    throttle = doc["throttle"]
    if doc["dry_run"]:
        out.append("dry run: nothing was sent")
        if throttle:
            out.append(f"the throttle would be {_bytes_rate(throttle['rate'])} on brokers {_ids(throttle['brokers'])}")
        return out
    out.append(f"started {len(doc['started'])} partition reassignment(s)")
    if throttle:
        out.append(
            f"throttle {_bytes_rate(throttle['rate'])} set on brokers {_ids(throttle['brokers'])} and their topics"
        )
    for e in doc["errors"]:
        out.append(f"refused: {e['topic']}-{e['partition']}: {e['error']}")
    if doc["errors"] and doc["started"]:
        out.append("the other partitions are moving: 'kview reassign status' follows them, 'cancel' stops them")
    if doc["progress"] is not None:
        out += ["", *progress_view(doc["progress"])]
    return out


async def cmd_reassign_apply(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.reassign.throttle import throttle_settings

    service = _service(client)
    async with asyncio.timeout(state.bound):
        plan = await _make_plan(args, client)
        if args.dry_run or plan.empty:
            throttle = throttle_settings(plan.rollback, plan.assignments, args.throttle) if args.throttle else None
            doc = apply_doc(plan, None, dry_run=args.dry_run, throttle=throttle)
            _print(args, printer, doc, apply_view)
            return EXIT_OK
        result = await service.apply(plan, throttle=args.throttle)
    doc = apply_doc(plan, result, dry_run=False, throttle=None)
    if not args.json:
        # As kafka-reassign-partitions does: the way back, before anything else can go wrong.
        note(f"to roll back, save this and apply it with --file: {_rollback_text(plan)}")
    if args.wait and result.started:
        progress = await _wait(service, dict(plan.assignments), args.wait, state)
        doc["progress"] = progress
    _print(args, printer, doc, apply_view)
    if result.errors:
        return EXIT_ERROR
    if doc["progress"] is not None and not doc["progress"]["finished"]:
        return EXIT_IN_PROGRESS
    return EXIT_OK


def _rollback_text(plan: ReassignmentPlan) -> str:
    from kview.core.reassign.plan_file import assignments_to_json

    return assignments_to_json(plan.rollback)


async def _wait(
    service: ReassignService, targets: dict[TopicPartition, Replicas], limit: float, state: RunState
) -> Doc:
    """Follow the progress until every partition is done (then remove the
    throttle, as ``--verify`` does) or ``limit`` seconds pass."""
    deadline = time.monotonic() + limit
    progress = None
    while True:
        async with asyncio.timeout(state.bound):
            progress = await service.progress(targets, progress)
        if progress.finished or time.monotonic() >= deadline:
            break
        await asyncio.sleep(min(WAIT_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
    fields = progress_fields(progress)
    fields["throttle_removed"] = None
    if progress.finished:
        async with asyncio.timeout(state.bound):
            problems = await service.remove_throttles(sorted({t for t, _ in targets}), None)
        fields["throttle_removed"] = not problems
        fields["errors"] += list(problems)
    return fields


async def cmd_reassign_status(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.reassign.plan_file import read_plan_file

    service = _service(client)
    targets = read_plan_file(args.file) if args.file else None
    previous: list[ReassignProgress] = []

    async def fetch() -> Doc:
        progress = await service.progress(targets, previous[-1] if previous else None)
        previous[:] = [progress]
        fields = progress_fields(progress)
        fields["throttle_removed"] = None
        if targets is not None and progress.finished and not args.keep_throttle and not client.read_only:
            # as kafka-reassign-partitions --verify: once done, the throttle goes
            problems = await service.remove_throttles(sorted({t for t, _ in targets}), None)
            fields["throttle_removed"] = not problems
            fields["errors"] += list(problems)
        return _doc("reassign-status", **fields)

    return await refresh_loop(
        args,
        printer,
        state,
        fetch,
        progress_view,
        code_of=lambda doc: (
            EXIT_OK
            if doc["finished"] and not doc["errors"]
            else (EXIT_IN_PROGRESS if not doc["finished"] else EXIT_ERROR)
        ),
    )


def cancel_doc(result: CancelResult | None, *, dry_run: bool, moving: list[Doc]) -> Doc:
    return _doc(
        "reassign-cancel",
        dry_run=dry_run,
        cancelled=moving
        if result is None
        else [m for m in moving if (m["topic"], m["partition"]) in set(result.cancelled)],
        errors=[]
        if result is None
        else [{"topic": e.topic, "partition": e.partition, "error": e.error} for e in result.errors],
        throttles_removed=None if result is None else result.throttles_removed,
        notes=[] if result is None else list(result.notes),
    )


def cancel_view(doc: Doc) -> list[Part]:
    verb = "would cancel" if doc["dry_run"] else "cancelled"
    out: list[Part] = [f"{verb} {len(doc['cancelled'])} reassignment(s)"]
    if doc["cancelled"]:
        table = _table("TOPIC", "PARTITION", "BACK TO", "LEAVING", right=("PARTITION",))
        for m in doc["cancelled"]:
            table.add_row(m["topic"], str(m["partition"]), _ids(m["original"]), _ids(m["adding"]))
        out.append(table)
    for e in doc["errors"]:
        out.append(f"not cancelled: {e['topic']}-{e['partition']}: {e['error']}")
    if doc["throttles_removed"]:
        out.append("the replication throttle was removed")
    out += [f"note: {n}" for n in doc["notes"]]
    return out


async def cmd_reassign_cancel(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    from kview.core.reassign.plan_file import read_plan_file

    service = _service(client)
    wanted: list[TopicPartition] | None = None
    if args.file:
        wanted = list(read_plan_file(args.file))
    if args.partition:
        wanted = (wanted or []) + [_partition_arg(p) for p in args.partition]
    async with asyncio.timeout(state.bound):
        ongoing = await service.ongoing(wanted)
        moving = [
            {"topic": o.topic, "partition": o.partition, "original": list(o.original), "adding": list(o.adding)}
            for o in ongoing
        ]
        if args.dry_run:
            doc = cancel_doc(None, dry_run=True, moving=moving)
        else:
            doc = cancel_doc(await service.cancel(wanted), dry_run=False, moving=moving)
    _print(args, printer, doc, cancel_view)
    return EXIT_ERROR if doc["errors"] else EXIT_OK


async def cmd_reassign(args: Namespace, client: ClusterClient, printer: Printer, state: RunState) -> int:
    """``kview reassign ACTION``."""
    actions = {
        "plan": cmd_reassign_plan,
        "apply": cmd_reassign_apply,
        "status": cmd_reassign_status,
        "cancel": cmd_reassign_cancel,
    }
    return await actions[args.reassign_action](args, client, printer, state)
