"""The announcer over IPv6 transport and in passive mode (the router connects), on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest
from bgpwire_announcer.runtime import Announcer
from bgpwire_announcer.speakers import NodeSettings

from bgpwire.aio import TransportOptions
from bgpwire.fsm import PeerConfig
from bgpwire.speaker import PeerSpec, Speaker
from tests.announcer.runtime_support import BASE, ROUTER_AS, ROUTER_ID, service_yaml, wait_for

WEB4, WEB6 = "198.51.100.0/32", "2001:db8:100::/128"


def write_config(path: Path, peer: str) -> None:
    path.write_text(BASE.format(local_pref=100) + peer + service_yaml("web"))


def ipv6_peer(port: int) -> str:
    return f"""---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {{name: v6, namespace: metallb-system}}
spec:
  myASN: 64500
  peerASN: {ROUTER_AS}
  peerAddress: "::1"
  peerPort: {port}
"""


HOST6 = IPv6Address("2001:db8::7")
"""The host's global IPv6 address, as the announcer finds it."""


async def run_ipv6_session(tmp_path: Path, settings: NodeSettings,
                           host6: IPv6Address | None = HOST6,
                           ) -> tuple[dict[str, object], dict[str, str]]:
    """The routes the router gets over ::1, and what the announcer says was not sent."""
    router = Speaker(ROUTER_AS, ROUTER_ID, listen=[("::1", 0)])
    await router.start()
    await router.add_peer(PeerSpec("::1", PeerConfig(
        local_as=ROUTER_AS, peer_as=64500, router_id=ROUTER_ID, jitter=False), passive=True))
    config = tmp_path / "config.yaml"
    write_config(config, ipv6_peer(router.listen_ports[0]))
    announcer = Announcer([str(config)], settings, ipv6_next_hop=lambda: host6,
                          poll_interval=3600, recheck_interval=3600)
    try:
        await announcer.start()
        rib = router.adj_rib_in("::1")
        if announcer.report().sessions[0].problem is not None:
            return {}, {entry.prefix: entry.reason
                        for entry in announcer.report().sessions[0].not_sent}
        await wait_for(lambda: WEB6 in {str(route.prefix) for route in rib.routes()})
        await wait_for(lambda: announcer.report().sessions[0].routes_sent >= 1)
        if settings.next_hop_ipv4 is not None:
            await wait_for(lambda: len(rib) == 2)
        else:
            await wait_for(lambda: bool(announcer.report().sessions[0].not_sent))
        routes: dict[str, object] = {str(route.prefix): route.next_hop for route in rib.routes()}
        missing = {entry.prefix: entry.reason
                   for entry in announcer.report().sessions[0].not_sent}
        return routes, missing
    finally:
        await announcer.stop("withdraw")
        await router.close()


@pytest.mark.asyncio
async def test_ipv6_loopback_session_gives_the_hosts_global_address(tmp_path: Path) -> None:
    routes, missing = await run_ipv6_session(tmp_path, NodeSettings("node-1"))
    assert routes == {WEB6: HOST6}  # not ::1, which a router drops
    assert set(missing) == {WEB4}  # no IPv4 next hop on an IPv6-only session


@pytest.mark.asyncio
async def test_ipv6_loopback_session_prefers_the_configured_next_hop(tmp_path: Path) -> None:
    settings = NodeSettings("node-1", next_hop_ipv6=IPv6Address("2001:db8::66"))
    routes, _ = await run_ipv6_session(tmp_path, settings)
    assert routes == {WEB6: IPv6Address("2001:db8::66")}


@pytest.mark.asyncio
async def test_ipv6_loopback_session_without_a_global_address_is_reported(
        tmp_path: Path) -> None:
    routes, missing = await run_ipv6_session(tmp_path, NodeSettings("node-1"), host6=None)
    assert routes == {}
    assert set(missing) == {WEB4, WEB6}
    assert "--next-hop-ipv6" in missing[WEB6] and "loopback (::1)" in missing[WEB6]


@pytest.mark.asyncio
async def test_ipv4_routes_over_ipv6_with_a_configured_next_hop(tmp_path: Path) -> None:
    settings = NodeSettings("node-1", next_hop_ipv4=IPv4Address("192.0.2.10"))
    routes, missing = await run_ipv6_session(tmp_path, settings)
    assert routes == {WEB6: HOST6, WEB4: IPv4Address("192.0.2.10")}
    assert missing == {}


PASSIVE_PEER = f"""---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata:
  name: dialer
  namespace: metallb-system
  annotations: {{"bgpwire.io/passive": "true"}}
spec:
  myASN: 64500
  peerASN: {ROUTER_AS}
  peerAddress: 127.0.0.8
"""


@pytest.mark.asyncio
async def test_passive_peer_is_accepted_on_the_listen_address(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    write_config(config, PASSIVE_PEER)
    announcer = Announcer([str(config)], NodeSettings("node-1"), listen=[("127.0.0.7", 0)],
                          ipv6_next_hop=lambda: IPv6Address("2001:db8::7"),
                          poll_interval=3600, recheck_interval=3600)
    router = Speaker(ROUTER_AS, ROUTER_ID)
    try:
        await announcer.start()
        session = announcer.report().sessions[0]
        assert session.passive and session.problem is None
        await router.start()
        options = TransportOptions(local_address="127.0.0.8",
                                   remote_port=announcer.listen_ports[0])
        await router.add_peer(PeerSpec("127.0.0.7", PeerConfig(
            local_as=ROUTER_AS, peer_as=64500, router_id=ROUTER_ID, jitter=False), options))
        rib = router.adj_rib_in("127.0.0.7")
        await wait_for(lambda: {str(route.prefix) for route in rib.routes()} == {WEB4, WEB6})
        assert announcer.report().sessions[0].state == "Established"
    finally:
        await announcer.stop("withdraw")
        await router.close()
        await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_passive_peer_without_listen_is_a_problem(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    write_config(config, PASSIVE_PEER)
    announcer = Announcer([str(config)], NodeSettings("node-1"), poll_interval=3600,
                          recheck_interval=3600)
    try:
        await announcer.start()
        session = announcer.report().sessions[0]
        assert session.state == "not started"
        assert session.problem is not None and "--listen" in session.problem
    finally:
        await announcer.stop("withdraw")


SIGNED_PASSIVE_PEER = PASSIVE_PEER + "  password: s3cret-key\n"


@pytest.mark.asyncio
async def test_passive_peer_with_a_password_accepts_only_the_signed_connection(
        tmp_path: Path) -> None:
    if os.geteuid() != 0:
        reason = "TCP-MD5 keys need root (CAP_NET_ADMIN)"
        print(reason)
        pytest.skip(reason)
    config = tmp_path / "config.yaml"
    write_config(config, SIGNED_PASSIVE_PEER)
    announcer = Announcer([str(config)], NodeSettings("node-1"), listen=[("127.0.0.7", 0)],
                          ipv6_next_hop=lambda: IPv6Address("2001:db8::7"),
                          ipv4_next_hop=lambda: IPv4Address("192.0.2.7"),
                          poll_interval=3600, recheck_interval=3600)
    router = Speaker(ROUTER_AS, ROUTER_ID)
    try:
        await announcer.start()
        session = announcer.report().sessions[0]
        assert session.passive and session.md5 and session.problem is None
        await router.start()
        options = TransportOptions(local_address="127.0.0.8", md5_password="s3cret-key",
                                   remote_port=announcer.listen_ports[0])
        await router.add_peer(PeerSpec("127.0.0.7", PeerConfig(
            local_as=ROUTER_AS, peer_as=64500, router_id=ROUTER_ID, jitter=False), options))
        rib = router.adj_rib_in("127.0.0.7")
        await wait_for(lambda: {str(route.prefix) for route in rib.routes()} == {WEB4, WEB6})
        assert announcer.report().sessions[0].state == "Established"
        # An unsigned SYN from the same address gets no answer: the key is really required.
        assert not await connects_unsigned("127.0.0.8", "127.0.0.7", announcer.listen_ports[0])
    finally:
        await announcer.stop("withdraw")
        await router.close()
        await asyncio.sleep(0)


async def connects_unsigned(source: str, address: str, port: int) -> bool:
    """Whether an unsigned connection from ``source`` is answered within 1 s (the kernel drops
    a SYN without the MD5 signature it expects, silently)."""
    sock = socket.socket()
    sock.setblocking(False)
    try:
        sock.bind((source, 0))
        try:
            async with asyncio.timeout(1):
                await asyncio.get_running_loop().sock_connect(sock, (address, port))
        except TimeoutError:
            return False
        return True
    finally:
        sock.close()
