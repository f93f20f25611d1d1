"""``bgpwire-announcer``: check, plan, run, demo, status.

Exit status: 0 success, 1 the configuration (or the running announcer) says no, 2 bad
arguments. Every error is one or more lines on stderr naming what is wrong; no traceback
reaches the user for a mistake of theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address
from typing import NoReturn

from bgpwire_announcer.demo import run_demo
from bgpwire_announcer.pipeline import Refused, compute, load_valid
from bgpwire_announcer.plan import plan_json, plan_text
from bgpwire_announcer.report import status_text
from bgpwire_announcer.runtime import Announcer, StartError
from bgpwire_announcer.speakers import NodeSettings
from bgpwire_announcer.state import StateError, StateFile
from bgpwire_announcer.status import DEFAULT_HTTP, StatusServer, StatusUnavailable, fetch_status

PROG = "bgpwire-announcer"


class UsageError(Exception):
    """A bad argument; the message is printed after the usage line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def parse_endpoint(text: str, *, what: str, default_host: str = DEFAULT_HTTP[0],
                   allow_port_zero: bool = False) -> tuple[str, int]:
    """``ADDR:PORT``, ``[v6addr]:PORT`` or ``:PORT`` (the default host) to (host, port)."""
    host, sep, port_text = text.rpartition(":")
    if not sep:
        raise UsageError(f"{what} {text!r}: expected ADDR:PORT (e.g. 127.0.0.1:7473 or "
                         "[::1]:7473)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise UsageError(f"{what} {text!r}: an IPv6 address is written in brackets, "
                         "as in [::1]:7473")
    host = host or default_host
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(f"{what} {text!r}: {host!r} is not an IP address (an IPv6 address "
                         "is written in brackets: [::1]:7473)") from None
    if not port_text.isdigit() or not (0 if allow_port_zero else 1) <= int(port_text) <= 65535:
        raise UsageError(f"{what} {text!r}: port {port_text!r} is not a number in 1..65535")
    return host, int(port_text)


def _ipv4(text: str) -> IPv4Address:
    try:
        return IPv4Address(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IPv4 address") from None


def _ipv6(text: str) -> IPv6Address:
    try:
        address = IPv6Address(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IPv6 address") from None
    if address.is_link_local or address.is_unspecified or address.is_loopback:
        raise argparse.ArgumentTypeError(f"{text!r} is not a global IPv6 address")
    return address


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Announce Kubernetes load-balancer addresses over "
                     "BGP from MetalLB's own manifests (bgpwire).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    def files(sub: argparse.ArgumentParser) -> None:
        # "-f a.yaml b.yaml" and "-f a.yaml -f b.yaml" both gather every path, in order.
        sub.add_argument("-f", "--file", dest="files", action="extend", nargs="+",
                         required=True, metavar="PATH",
                         help="YAML/JSON files or directories (several after one -f, or -f "
                         "repeated)")

    check = commands.add_parser("check", help="validate the configuration")
    files(check)
    check.add_argument("--node", help="also check what concerns this node")

    plan = commands.add_parser("plan", help="what this node would announce (dry run)")
    files(plan)
    plan.add_argument("--node", required=True)
    plan.add_argument("--state", metavar="FILE", help="remembered addresses (read only)")
    plan.add_argument("--json", action="store_true", help="one JSON object")

    run = commands.add_parser("run", help="run the speaker")
    files(run)
    run.add_argument("--node", required=True, help="which Node this process is")
    run.add_argument("--state", metavar="FILE", help="keep addresses across restarts here")
    run.add_argument("--listen", action="append", default=[], metavar="ADDR:PORT",
                     help="accept BGP connections here (repeatable)")
    run.add_argument("--http", default=f"{DEFAULT_HTTP[0]}:{DEFAULT_HTTP[1]}",
                     metavar="ADDR:PORT", help="status endpoint (default %(default)s)")
    run.add_argument("--on-stop", choices=("withdraw", "graceful"), default=None,
                     help="on SIGTERM: withdraw the routes, or leave them to graceful restart "
                     "(default: graceful for peers with enableGracefulRestart, else withdraw)")
    run.add_argument("--router-id", type=_ipv4, help="for peers without routerID")
    run.add_argument("--next-hop-ipv4", type=_ipv4,
                     help="next hop of IPv4 routes on IPv6 sessions")
    run.add_argument("--next-hop-ipv6", type=_ipv6,
                     help="next hop of IPv6 routes on IPv4 sessions (default: a global IPv6 "
                     "address of this host)")
    run.add_argument("--log-level", default="info",
                     choices=("debug", "info", "warning", "error"))

    demo = commands.add_parser("demo", help="run against a built-in peer, printing its routes")
    demo.add_argument("--duration", type=_seconds, metavar="SECONDS",
                      help="stop after this long (default: until Ctrl-C)")

    status = commands.add_parser("status", help="ask a running announcer")
    status.add_argument("--http", default=f"{DEFAULT_HTTP[0]}:{DEFAULT_HTTP[1]}",
                        metavar="ADDR:PORT", help="its status endpoint (default %(default)s)")
    status.add_argument("--json", action="store_true", help="the raw JSON document")
    return parser


EXIT_BROKEN_PIPE = 128 + 13
"""What a shell reports for a program ended by SIGPIPE (``plan --json | head -1``)."""


def main(argv: Sequence[str] | None = None) -> int:
    """The ``bgpwire-announcer`` command. A reader that goes away early (``| head``) ends it
    quietly, as it would end ``cat``: no traceback about the closed pipe."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # here, where a closed pipe can still be caught
        return code
    except BrokenPipeError:
        # Later writes, and the flush at interpreter exit, go nowhere instead of failing again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "check":
            return _check(args)
        if args.command == "plan":
            return _plan(args)
        if args.command == "run":
            return _run(args)
        if args.command == "demo":
            return run_demo(args.duration)
        return _status(args)
    except UsageError as error:
        print(parser.format_usage().rstrip(), file=sys.stderr)
        print(str(error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def _check(args: argparse.Namespace) -> int:
    try:
        config, notes = load_valid(args.files, args.node)
    except Refused as refused:
        for note in refused.notes:
            _err(f"note: {note}")
        for problem in refused.problems:
            _err(problem)
        _err(f"{PROG}: invalid: {len(refused.problems)} problem"
             f"{'s' if len(refused.problems) != 1 else ''}")
        return 1
    for note in notes:
        _err(f"note: {note}")
    print(f"valid: {len(config.pools)} pools, {len(config.advertisements)} advertisements, "
          f"{len(config.peers)} peers, {len(config.services)} services, "
          f"{len(config.nodes)} nodes")
    return 0


def _plan(args: argparse.Namespace) -> int:
    try:
        remembered = StateFile(args.state).load() if args.state else {}
    except StateError as error:
        _err(f"{PROG}: {error}")
        return 1
    try:
        outcome = compute(args.files, args.node, remembered)
    except Refused as refused:
        for problem in refused.problems:
            _err(problem)
        _err(f"{PROG}: invalid configuration: nothing planned")
        return 1
    for note in outcome.notes:
        _err(f"note: {note}")
    if args.json:
        print(json.dumps(plan_json(outcome.plan), indent=2, sort_keys=True))
    else:
        sys.stdout.write(plan_text(outcome.plan))
    return 0


def _run(args: argparse.Namespace) -> int:
    http = parse_endpoint(args.http, what="--http")
    listen = [parse_endpoint(text, what="--listen", default_host="0.0.0.0",
                             allow_port_zero=True) for text in args.listen]
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    settings = NodeSettings(args.node, router_id=args.router_id,
                            next_hop_ipv4=args.next_hop_ipv4, next_hop_ipv6=args.next_hop_ipv6,
                            listening=bool(listen))
    announcer = Announcer(args.files, settings, state_path=args.state, listen=listen,
                          on_stop=args.on_stop)
    try:
        return asyncio.run(serve(announcer, http))
    except StartError as error:
        for problem in error.problems:
            _err(problem)
        _err(f"{PROG}: not started: {error}")
        return 1
    except OSError as error:
        _err(f"{PROG}: not started: {error}")
        return 1


async def serve(announcer: Announcer, http: tuple[str, int]) -> int:
    """Run ``announcer`` with its status endpoint until SIGTERM or SIGINT; SIGHUP reloads."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    reloads: set[asyncio.Task[object]] = set()

    def reload() -> None:
        task = loop.create_task(announcer.reload())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    # Signals first: a SIGHUP or SIGTERM during a long start must not kill the process.
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    loop.add_signal_handler(signal.SIGHUP, reload)
    server = StatusServer(announcer.report, *http)
    try:
        try:
            await server.start()  # before the sessions: a taken port stops nothing
        except OSError as error:
            raise OSError(f"--http {http[0]}:{http[1]}: {error.strerror or error}") from None
        logging.getLogger("bgpwire_announcer").info(
            "status on http://%s:%d/status and /metrics", server.host, server.port)
        await announcer.start()
        await stopping.wait()
        await announcer.stop()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(signum)
        await server.close()
    return 0


def _status(args: argparse.Namespace) -> int:
    host, port = parse_endpoint(args.http, what="--http")
    try:
        document = fetch_status(host, port)
    except StatusUnavailable as error:
        _err(f"{PROG}: {error}")
        return 1
    if args.json:
        print(json.dumps(document, indent=2, sort_keys=True))
    else:
        sys.stdout.write(status_text(document))
    return 0


if __name__ == "__main__":
    sys.exit(main())
