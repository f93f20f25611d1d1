"""``python -m bgpwire decode``: print BGP messages as canonical JSON, one object per line."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from typing import TextIO

from bgpwire.context import Negotiated
from bgpwire.errors import ProtocolError
from bgpwire.families import Family
from bgpwire.framer import Framer
from bgpwire.messages import decode
from bgpwire.messages.notification import Notification
from bgpwire.show import dumps

SAMPLE = "frr-session.bin"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bgpwire", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    dec = commands.add_parser("decode", help="decode messages and print them as JSON")
    source = dec.add_mutually_exclusive_group(required=True)
    source.add_argument("hex", nargs="*", default=[],
                        help="messages as hex (spaces, colons and newlines are ignored)")
    source.add_argument("-f", "--file", help="a file of raw back-to-back messages ('-': stdin)")
    source.add_argument("--sample", action="store_true",
                        help="decode the bundled capture of a real FRR session")
    dec.add_argument("--two-octet-as", action="store_true",
                     help="the session did not negotiate 4-octet AS numbers")
    dec.add_argument("--extended-message", action="store_true",
                     help="the session negotiated messages of up to 65535 octets")
    dec.add_argument("--add-path", action="append", default=[], metavar="FAMILY",
                     help="NLRI of FAMILY (e.g. ipv4-unicast) carry path identifiers")
    dec.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")
    return parser


def _read_input(args: argparse.Namespace) -> bytes:
    if args.sample:
        return resources.files("bgpwire").joinpath("samples", SAMPLE).read_bytes()
    if args.file == "-":
        return sys.stdin.buffer.read()
    if args.file:
        with open(args.file, "rb") as handle:
            return handle.read()
    text = "".join(args.hex)
    for junk in " :\n\t\r":
        text = text.replace(junk, "")
    try:
        return bytes.fromhex(text)
    except ValueError as error:
        raise SystemExit(f"decode: the input is not hex: {error}") from None


def run_decode(data: bytes, ctx: Negotiated, out: TextIO, indent: int | None = None) -> int:
    """Decode ``data`` and print each message; on a protocol error print the NOTIFICATION it
    calls for and return 1."""
    framer = Framer(ctx.max_message_length)
    try:
        for raw in framer.feed(data):
            print(dumps(decode(raw, ctx), indent=indent), file=out)
        if framer.pending:
            print(f"decode: {framer.pending} octets at the end do not make a whole message",
                  file=sys.stderr)
            return 1
    except ProtocolError as error:
        print(f"decode: {error.reason}; a speaker would answer with:", file=sys.stderr)
        print(dumps(Notification.from_error(error), indent=indent), file=out)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # the reader went away (``| head``): nothing left to say
        sys.stderr.close()
        return 0


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        families = frozenset(Family.from_name(name) for name in args.add_path)
    except ValueError as error:
        raise SystemExit(f"decode: --add-path: {error}") from None
    ctx = Negotiated(four_octet_as=not args.two_octet_as,
                     extended_message=args.extended_message, add_path=families)
    return run_decode(_read_input(args), ctx, sys.stdout, args.indent)


if __name__ == "__main__":
    sys.exit(main())
