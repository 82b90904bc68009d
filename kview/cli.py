"""Command line: parses arguments, builds the app through ``make_app``, nothing
else.  Textual is imported only on the paths that open the UI, so ``--help``
and the headless commands start fast."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from kview.core.config import ClusterProfile, Config, adhoc_profile, adhoc_registry, config_path, load_config
from kview.core.errors import KViewError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from kview.core.config import Secret

EXIT_USAGE = 2


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("cluster")
    group.add_argument("--cluster", "-c", metavar="NAME", help="cluster profile from the config file")
    group.add_argument(
        "--bootstrap", "-b", metavar="HOST:PORT[,...]", help="connect to these bootstrap servers instead of a profile"
    )
    group.add_argument("--read-only", action="store_true", help="refuse every write action")
    group.add_argument(
        "--schema-registry",
        metavar="URL[,...]",
        help="use this schema registry (replaces the profile's URLs; its credentials and TLS files still apply)",
    )
    parser.add_argument("--debug", action="store_true", help="verbose logging to the log file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kview",
        description="A keyboard-driven terminal console for Apache Kafka.",
        epilog=f"Config file: {config_path()} (KVIEW_CONFIG overrides).",
    )
    _add_connection_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="start a local Kafka with live traffic and open kview on it")
    demo.add_argument("--brokers", type=int, choices=(1, 3), default=1, help="cluster size (default 1)")
    demo.add_argument("--rate", type=float, default=50.0, help="demo messages per second (default 50)")
    demo.add_argument("--debug", action="store_true", help="verbose logging to the log file")
    from kview.headless.args import add_headless_commands

    add_headless_commands(commands)
    return parser


def resolve_profile(config: Config, args: argparse.Namespace) -> ClusterProfile:
    """The profile chosen by --bootstrap or --cluster (or the default)."""
    if args.bootstrap:
        profile = adhoc_profile(args.bootstrap)
    else:
        profile = config.profile(args.cluster)
    if args.read_only:
        profile = replace(profile, read_only=True)
    if getattr(args, "schema_registry", None):
        profile = replace(profile, schema_registry=adhoc_registry(args.schema_registry, profile.schema_registry))
    return profile


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from kview.local.demo import run_demo

            return run_demo(brokers=args.brokers, rate=args.rate, debug=args.debug)
        config = load_config()
        if args.read_only:
            config = replace(config, clusters={name: replace(p, read_only=True) for name, p in config.clusters.items()})
        profile = resolve_profile(config, args)
        from kview.headless import COMMANDS as HEADLESS_COMMANDS

        if args.command in HEADLESS_COMMANDS:
            from kview.headless.commands import run_command

            return run_command(args, profile)
        return run_tui(config, profile, debug=args.debug)
    except KViewError as exc:
        print(f"kview: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def run_tui(config: Config, profile: ClusterProfile, *, debug: bool = False) -> int:
    from kview.app import make_app
    from kview.core.logs import register_secrets, setup_logging

    setup_logging(debug)
    register_secrets(
        s.reveal()
        for p in config.clusters.values()
        for s in (p.security.password, p.security.key_password, *_registry_secrets(p))
        if s is not None
    )
    # --bootstrap or --schema-registry made a profile the config does not hold:
    # switching clusters and back must find it as started.
    config = config.with_profile(profile) if config.clusters.get(profile.name) != profile else config
    app = make_app(config, profile)
    app.run()
    return 0


def _registry_secrets(profile: ClusterProfile) -> tuple[Secret | None, ...]:
    registry = profile.schema_registry
    return () if registry is None else (registry.password, registry.token, registry.key_password)


if __name__ == "__main__":
    raise SystemExit(main())
