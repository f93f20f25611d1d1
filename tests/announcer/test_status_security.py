"""The status endpoint is private by default and shows no secret."""

from __future__ import annotations

from bgpwire_announcer.cli import build_parser, parse_endpoint
from bgpwire_announcer.status import DEFAULT_HTTP


def test_run_and_status_default_to_loopback() -> None:
    parser = build_parser()
    run = parser.parse_args(["run", "-f", "x.yaml", "--node", "n"])
    status = parser.parse_args(["status"])
    for args in (run, status):
        host, _port = parse_endpoint(args.http, what="--http")
        assert host == "127.0.0.1"
    assert DEFAULT_HTTP[0] == "127.0.0.1"
