"""A lab on loopback for the runtime tests: a bgpwire Speaker plays the routers, the announcer
runs in the same event loop on a configuration written to a temporary directory.

Addresses (all of 127.0.0.0/8 is local on Linux, no root needed):

* the router listens on 127.0.0.1 (eBGP, AS 64501) and 127.0.0.4 (iBGP) at free ports;
* the announcer connects to the first from 127.0.0.2 as AS 64500 (BGPPeer ``ebgp``) and to
  the second from 127.0.0.3 as AS 64501 (BGPPeer ``ibgp``);
* a third peer (``late``, to 127.0.0.6) comes from 127.0.0.5, an address the tests make absent
  or present.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

from bgpwire_announcer.report import SessionReport
from bgpwire_announcer.runtime import Announcer
from bgpwire_announcer.speakers import NodeSettings

from bgpwire.aio import Listener, PeerSession, TransportOptions
from bgpwire.fsm import GracefulRestartConfig, PeerConfig
from bgpwire.rib import Route
from bgpwire.speaker import PeerSpec, PeerUp, RoutesReceived, Speaker, SpeakerEvent
from tests import waiting

ROUTER_AS, ANNOUNCER_AS = 64501, 64500
ROUTER_ID = IPv4Address("192.0.2.254")
EBGP_ROUTER, IBGP_ROUTER, LATE_ROUTER = "127.0.0.1", "127.0.0.4", "127.0.0.6"
EBGP_SOURCE, IBGP_SOURCE, LATE_SOURCE = "127.0.0.2", "127.0.0.3", "127.0.0.5"
NEXT_HOP6 = IPv6Address("2001:db8::99")
NEXT_HOP4 = IPv4Address("192.0.2.99")
"""The host's own IPv4 address as the announcer finds it: the next hop over these loopback
sessions, whose own 127.0.0.x addresses a router would drop as martian."""
NODE = "node-1"


async def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """:func:`tests.waiting.wait_for` with a longer default: these waits span a whole
    announcer start (load, validate, allocate, plan) before any session."""
    await waiting.wait_for(condition, timeout)


@dataclass
class Router:
    """The router speaker and everything it reported."""

    speaker: Speaker
    events: list[SpeakerEvent] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    @property
    def ebgp_port(self) -> int:
        return self.speaker.listen_ports[0]

    @property
    def ibgp_port(self) -> int:
        return self.speaker.listen_ports[1]

    @property
    def late_port(self) -> int:
        return self.speaker.listen_ports[2]

    def routes(self, source: str) -> dict[str, Route]:
        """What the router holds from the announcer's session from ``source``."""
        return {str(route.prefix): route for route in self.speaker.adj_rib_in(source).routes()}

    def received(self, source: str, since: int = 0) -> list[RoutesReceived]:
        return [e for e in self.events[since:]
                if isinstance(e, RoutesReceived) and e.address == source]

    def holds(self, prefixes: set[str], *sources: str) -> bool:
        """Whether the sessions from ``sources`` hold exactly ``prefixes``."""
        return all(set(self.routes(source)) == prefixes for source in sources)

    def announced(self, source: str, since: int) -> list[str]:
        """The prefixes announced on the session from ``source`` after event ``since``."""
        return [str(route.prefix) for event in self.received(source, since)
                for route in event.announced]

    def ups(self, source: str) -> int:
        return sum(1 for e in self.events if isinstance(e, PeerUp) and e.address == source)

    def established(self, source: str) -> bool:
        return any(s.address == source and s.state.value == "Established"
                   for s in self.speaker.peers())


async def start_router(*, graceful_restart: bool = False) -> Router:
    speaker = Speaker(ROUTER_AS, ROUTER_ID,
                      listen=[(EBGP_ROUTER, 0), (IBGP_ROUTER, 0), (LATE_ROUTER, 0)])
    await speaker.start()
    router = Router(speaker)

    async def collect() -> None:
        async for event in speaker.events():
            router.events.append(event)

    router.task = asyncio.get_running_loop().create_task(collect())
    gr = GracefulRestartConfig(restart_time=120) if graceful_restart else None
    for source, asn in ((EBGP_SOURCE, ANNOUNCER_AS), (IBGP_SOURCE, ROUTER_AS),
                        (LATE_SOURCE, ANNOUNCER_AS)):
        config = PeerConfig(local_as=ROUTER_AS, peer_as=asn, router_id=ROUTER_ID, jitter=False,
                            idle_hold_time=0.2, graceful_restart=gr)
        await speaker.add_peer(PeerSpec(source, config, passive=True))
    return router


async def close_router(router: Router) -> None:
    await router.speaker.close("test over")
    if router.task is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(router.task, 5)


def peer_yaml(name: str, *, my_asn: int, address: str, port: int, source: str,
              extra: str = "") -> str:
    return f"""---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {{name: {name}, namespace: metallb-system}}
spec:
  myASN: {my_asn}
  peerASN: {ROUTER_AS}
  peerAddress: {address}
  peerPort: {port}
  sourceAddress: {source}
  holdTime: 30s
  connectTime: 1s
{extra}"""


def service_yaml(name: str, *, families: str = "[IPv4, IPv6]",
                 policy: str = "PreferDualStack") -> str:
    return f"""---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: default}}
spec:
  type: LoadBalancer
  ipFamilyPolicy: {policy}
  ipFamilies: {families}
"""


BASE = """\
apiVersion: v1
kind: Node
metadata: {{name: node-1}}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {{name: dual, namespace: metallb-system}}
spec:
  addresses: [198.51.100.0/28, "2001:db8:100::/124"]
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {{name: hosts, namespace: metallb-system}}
spec:
  ipAddressPools: [dual]
  localPref: {local_pref}
  communities: ["65000:100", "large:64500:1:2"]
"""


def config_yaml(router: Router, *, services: tuple[str, ...] = ("web", "dns"),
                local_pref: int = 150, ebgp_extra: str = "", ibgp_extra: str = "",
                late_peer: bool = False, extra: str = "") -> str:
    text = BASE.format(local_pref=local_pref)
    text += peer_yaml("ebgp", my_asn=ANNOUNCER_AS, address=EBGP_ROUTER,
                      port=router.ebgp_port, source=EBGP_SOURCE, extra=ebgp_extra)
    text += peer_yaml("ibgp", my_asn=ROUTER_AS, address=IBGP_ROUTER, port=router.ibgp_port,
                      source=IBGP_SOURCE, extra=ibgp_extra)
    if late_peer:
        text += peer_yaml("late", my_asn=ANNOUNCER_AS, address=LATE_ROUTER,
                          port=router.late_port, source=LATE_SOURCE)
    for name in services:
        text += service_yaml(name)
    return text + extra


@dataclass
class Lab:
    router: Router
    announcer: Announcer
    config: Path
    absent: set[str]

    def write(self, **options: Any) -> None:
        self.config.write_text(config_yaml(self.router, **options))

    def session(self, name: str) -> SessionReport:
        return session_of(self.announcer, name)


def session_of(announcer: Announcer, name: str) -> SessionReport:
    """One session of the announcer's current report, by BGPPeer name."""
    return {s.name: s for s in announcer.report().sessions}[name]


@contextlib.asynccontextmanager
async def lab(tmp_path: Path, *, graceful_restart: bool = False, state: bool = False,
              next_hop6: IPv6Address | None = NEXT_HOP6, absent: tuple[str, ...] = (),
              next_hop4: IPv4Address | None = NEXT_HOP4, **options: Any) -> AsyncIterator[Lab]:
    """A router and a started announcer; ``absent`` holds the source addresses the announcer
    must see as missing (the tests add and remove them)."""
    router = await start_router(graceful_restart=graceful_restart)
    config = tmp_path / "config.yaml"
    config.write_text(config_yaml(router, **options))
    missing = set(absent)
    announcer = make_announcer(config, missing, tmp_path / "state.json" if state else None,
                               next_hop6=next_hop6, next_hop4=next_hop4)
    try:
        await announcer.start()
        yield Lab(router, announcer, config, missing)
    finally:
        await announcer.stop("withdraw")
        await close_router(router)


def make_announcer(config: Path, absent: set[str], state: Path | None, *,
                   next_hop6: IPv6Address | None = NEXT_HOP6,
                   next_hop4: IPv4Address | None = NEXT_HOP4, **options: Any) -> Announcer:
    """An announcer on ``config`` whose host has the addresses ``next_hop6``, ``next_hop4`` (or
    what the ``ipv6_next_hop`` and ``ipv4_next_hop`` callables in ``options`` say, for a host
    whose addresses change)."""
    settings: dict[str, Any] = {"poll_interval": 3600.0, "recheck_interval": 3600.0,
                                "ipv6_next_hop": lambda: next_hop6,
                                "ipv4_next_hop": lambda: next_hop4, **options}
    return Announcer([str(config)], NodeSettings(NODE), state_path=str(state) if state else None,
                     presence=lambda address: address not in absent, **settings)


@contextlib.asynccontextmanager
async def md5_router(key: str) -> AsyncIterator[tuple[PeerSession, int]]:
    """A router that accepts only an ebgp session (from EBGP_SOURCE) signed with ``key``: a
    bare session behind a Listener on EBGP_ROUTER that holds the key. Yields the session and
    the listener's port."""
    router = PeerSession(PeerConfig(local_as=ROUTER_AS, peer_as=ANNOUNCER_AS,
                                    router_id=ROUTER_ID, passive=True),
                         EBGP_SOURCE, TransportOptions(md5_password=key))
    listener = Listener({router.peer_address: router}, EBGP_ROUTER, 0)
    await listener.start()
    await router.start()
    try:
        yield router, listener.port
    finally:
        await router.stop()
        await listener.close()


def signed_peer_config(port: int, peer_extra: str) -> str:
    """One service and the ``ebgp`` BGPPeer towards :func:`md5_router`, with ``peer_extra``
    (its password or passwordSecret)."""
    return BASE.format(local_pref=100) + service_yaml("web") + peer_yaml(
        "ebgp", my_asn=ANNOUNCER_AS, address=EBGP_ROUTER, port=port, source=EBGP_SOURCE,
        extra=peer_extra)
