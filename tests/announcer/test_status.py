"""The status endpoint: JSON and Prometheus pages from a report, and what it refuses."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from bgpwire_announcer.model import ServicePlan, WithheldRoute
from bgpwire_announcer.report import (
    MAX_NOT_SENT_LISTED,
    NotSent,
    PoolReport,
    Report,
    SessionReport,
    report_json,
    report_metrics,
    status_text,
)
from bgpwire_announcer.status import (
    MAX_REQUEST,
    StatusServer,
    StatusUnavailable,
    fetch_status,
)


def session(name: str, address: str, state: str, **overrides: object) -> SessionReport:
    values: dict[str, object] = dict(
        name=name, address=address, port=179, source_address=None, local_asn=64500,
        peer_asn=64501, router_id="192.0.2.1", passive=False, state=state, problem=None,
        uptime=None, last_error=None, capabilities=(), routes_planned=2, routes_sent=0,
        updates_sent=0, not_sent=(), graceful_restart=False, md5=False)
    values.update(overrides)
    return SessionReport(**values)  # type: ignore[arg-type]


REPORT = Report(
    node="node-a", config_valid=False, last_error="BGPPeer/p: holdTime=2: below 3",
    problems=("BGPPeer/p: holdTime=2: below 3",), notes=("L2Advertisement/l2 is not acted on",),
    reloads=3, failed_reloads=1,
    sessions=(
        session("router-1", "192.0.2.10", "Established", uptime=12.3456, routes_sent=2,
                updates_sent=5, capabilities=("ipv4-unicast", "ipv6-unicast"), md5=True),
        session("router-2", "2001:db8::10", "not started", port=1179,
                problem="source address absent", source_address="2001:db8::99",
                not_sent=(NotSent("198.51.100.7/32", "session not established"),)),
    ),
    services=(ServicePlan("default/web", ("198.51.100.7", "2001:db8:5::7"), "dual", None),
              ServicePlan("default/db", (), None, "no pool holds both families")),
    routes=2,
    withheld=(WithheldRoute("198.51.100.9/32", ("default/local",), "no ready endpoint"),),
    pools=(PoolReport("dual", 272, 2),),
)


async def request(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


@pytest.mark.asyncio
async def test_status_json_is_served_and_read_back() -> None:
    server = StatusServer(lambda: REPORT, "127.0.0.1", 0)
    await server.start()
    try:
        document = await asyncio.to_thread(fetch_status, "127.0.0.1", server.port)
    finally:
        await server.close()
    assert document["node"] == "node-a"
    assert document["config"]["valid"] is False
    assert document["config"]["last_error"] == "BGPPeer/p: holdTime=2: below 3"
    first, second = document["sessions"]
    assert first["state"] == "Established" and first["uptime"] == 12.346
    assert first["capabilities"] == ["ipv4-unicast", "ipv6-unicast"]
    assert first["md5"] is True and "password" not in first
    assert second["problem"] == "source address absent"
    assert second["not_sent"] == [{"prefix": "198.51.100.7/32",
                                   "reason": "session not established"}]
    assert document["services"][1]["pending"] == "no pool holds both families"
    assert document["withheld"][0]["reason"] == "no ready endpoint"
    assert document["pools"] == [{"name": "dual", "addresses": 272, "in_use": 2}]


def test_metrics_use_metallb_names_and_labels() -> None:
    text = report_metrics(REPORT)
    lines = text.splitlines()
    assert 'metallb_bgp_session_up{name="router-1",peer="192.0.2.10"} 1' in lines
    assert 'metallb_bgp_session_up{name="router-2",peer="[2001:db8::10]:1179"} 0' in lines
    assert 'metallb_bgp_announced_prefixes_total{name="router-1",peer="192.0.2.10"} 2' in lines
    assert 'metallb_bgp_updates_total{name="router-1",peer="192.0.2.10"} 5' in lines
    assert 'metallb_allocator_addresses_in_use_total{pool="dual"} 2' in lines
    assert 'metallb_allocator_addresses_total{pool="dual"} 272' in lines
    assert "bgpwire_announcer_config_valid 0" in lines
    assert ('bgpwire_announcer_peer_problem{name="router-2",peer="[2001:db8::10]:1179",'
            'problem="source address absent"} 1') in lines
    assert "# TYPE metallb_bgp_updates_total counter" in lines
    assert 'bgpwire_announcer_reloads_total{result="refused"} 1' in lines
    assert 'bgpwire_announcer_services_pending 1' in lines


def test_label_values_are_escaped() -> None:
    odd = replace(REPORT, pools=(PoolReport('we"ird\\pool\n', 1, 0),))
    assert 'pool="we\\"ird\\\\pool\\n"' in report_metrics(odd)


@pytest.mark.asyncio
async def test_metrics_page_and_refusals() -> None:
    server = StatusServer(lambda: REPORT, "127.0.0.1", 0)
    await server.start()
    try:
        metrics = await request(server.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        post = await request(server.port, b"POST /status HTTP/1.1\r\nHost: x\r\n\r\n")
        missing = await request(server.port, b"GET /nope HTTP/1.1\r\n\r\n")
        garbage = await request(server.port, b"HELLO\r\n\r\n")
        huge = await request(server.port, b"GET /status HTTP/1.1\r\nX: "
                             + b"a" * (MAX_REQUEST * 2) + b"\r\n\r\n")
        head = await request(server.port, b"HEAD /status HTTP/1.1\r\n\r\n")
    finally:
        await server.close()
    assert metrics.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Type: text/plain; version=0.0.4" in metrics
    assert b"metallb_bgp_session_up" in metrics
    assert post.startswith(b"HTTP/1.1 405 ") and b"only GET" in post
    assert b"\r\nAllow: GET, HEAD\r\n" in post
    assert missing.startswith(b"HTTP/1.1 404 ")
    assert garbage.startswith(b"HTTP/1.1 400 ")
    assert huge.startswith(b"HTTP/1.1 431 ")
    assert head.startswith(b"HTTP/1.1 200 ") and head.endswith(b"\r\n\r\n")


def test_fetch_from_nothing_names_the_address_and_the_cause() -> None:
    with pytest.raises(StatusUnavailable, match=r"127\.0\.0\.1:9 .*refused|127\.0\.0\.1:9/"):
        fetch_status("127.0.0.1", 9, timeout=2)


def test_status_text_shows_problems_and_pending_services() -> None:
    text = status_text(report_json(REPORT))
    assert "configuration INVALID" in text
    assert "router-2 2001:db8::10 AS64501: not started" in text
    assert "PROBLEM: source address absent" in text
    assert "default/db: - pending: no pool holds both families" in text
    assert "not sent 198.51.100.7/32: session not established" in text
    assert text.endswith("2 routes planned; pools in use: dual 2/272\n")


def test_not_sent_is_listed_up_to_a_bound_and_counted_in_full() -> None:
    many = tuple(NotSent(f"10.0.{i // 256}.{i % 256}/32", "session Active")
                 for i in range(MAX_NOT_SENT_LISTED + 5))
    big = replace(REPORT, sessions=(session("r", "192.0.2.1", "Active", not_sent=many),))
    document = report_json(big)
    entry = document["sessions"][0]
    assert len(entry["not_sent"]) == MAX_NOT_SENT_LISTED
    assert entry["not_sent_total"] == MAX_NOT_SENT_LISTED + 5
    assert f"{MAX_NOT_SENT_LISTED + 5} routes not sent: session Active" in status_text(document)


def test_phase_is_in_the_json_and_the_text() -> None:
    assert report_json(REPORT)["phase"] == "running"
    starting = replace(REPORT, phase="starting", sessions=(), services=(), routes=0)
    document = report_json(starting)
    assert document["phase"] == "starting" and document["sessions"] == []
    text = status_text(document)
    assert text.startswith("node node-a (starting): ")
    assert "not complete yet" in text
    assert status_text(report_json(replace(REPORT, phase="stopping"))).startswith(
        "node node-a (stopping): ")


def phase_samples(page: bytes) -> dict[str, str]:
    """The ``bgpwire_announcer_phase`` series of a /metrics answer: phase label to value."""
    body = page.split(b"\r\n\r\n", 1)[1].decode()
    prefix = 'bgpwire_announcer_phase{phase="'
    return {line[len(prefix):].split('"', 1)[0]: line.rsplit(" ", 1)[1]
            for line in body.splitlines() if line.startswith(prefix)}


@pytest.mark.asyncio
async def test_metrics_page_carries_the_phase_as_one_series_per_phase() -> None:
    current = [REPORT]
    server = StatusServer(lambda: current[0], "127.0.0.1", 0)
    await server.start()
    pages: dict[str, bytes] = {}
    try:
        for phase in ("starting", "running", "stopping"):
            current[0] = replace(REPORT, phase=phase)
            pages[phase] = await request(server.port, b"GET /metrics HTTP/1.1\r\n\r\n")
    finally:
        await server.close()
    assert b"# TYPE bgpwire_announcer_phase gauge\n" in pages["running"]
    for phase, page in pages.items():
        expected = {name: "1" if name == phase else "0"
                    for name in ("starting", "running", "stopping")}
        assert phase_samples(page) == expected
