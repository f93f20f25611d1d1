"""``bgpwire-announcer demo``: the announcer against a router made of bgpwire, on loopback.

Nothing to install and no root: the "router" is a bgpwire :class:`~bgpwire.speaker.Speaker`
listening on 127.0.0.1 at a free port, and it prints every route it receives. The announcer
runs on a built-in MetalLB configuration written to a temporary directory: a dual-stack pool,
two advertisements (one route per service address with LOCAL_PREF 100, and an aggregate of the
whole pool, the two routes of the spec's rule 5), two services. The file stays editable while
the demo runs: it is reloaded within a second and the router shows what changed.
:data:`EDIT_AFTER` seconds after the first routes arrive, the demo itself removes one service,
to show a withdrawal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import tempfile
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import TextIO

from bgpwire.attributes import ASPath, Communities, LargeCommunities, LocalPref
from bgpwire.fsm import PeerConfig
from bgpwire.rib import Route
from bgpwire.speaker import PeerDown, PeerSpec, PeerUp, RoutesReceived, Speaker
from bgpwire_announcer.interfaces import global_ipv4_address, global_ipv6_address
from bgpwire_announcer.runtime import Announcer, StartError
from bgpwire_announcer.sessions import capabilities_of
from bgpwire_announcer.speakers import NodeSettings
from bgpwire_announcer.status import StatusServer

ASN = 64512
NODE = "demo-node"
ROUTER_ID = IPv4Address("192.0.2.254")
FALLBACK_NEXT_HOP6 = IPv6Address("2001:db8::1")
"""IPv6 next hop when this host has no global IPv6 address (a documentation address: the
demo router only prints it)."""
FALLBACK_NEXT_HOP4 = IPv4Address("192.0.2.1")
"""The demo's session runs over 127.0.0.1, which is no next hop: a host without an IPv4 address
of its own gets this documentation address instead (the demo router does not forward)."""
EDIT_AFTER = 4.0

CONFIG = """\
# The demo's configuration: MetalLB's own kinds. Edit and save: the announcer reloads it.
apiVersion: v1
kind: Node
metadata:
  name: demo-node
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {{name: demo-dual, namespace: metallb-system}}
spec:
  addresses: [198.51.100.0/27, "2001:db8:100::/120"]
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {{name: per-service, namespace: metallb-system}}
spec:
  ipAddressPools: [demo-dual]
  aggregationLength: 32
  aggregationLengthV6: 128
  localPref: 100
  communities: ["65000:100"]
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {{name: whole-pool, namespace: metallb-system}}
spec:
  ipAddressPools: [demo-dual]
  aggregationLength: 27
  aggregationLengthV6: 120
  communities: ["large:64512:27:120"]
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {{name: demo-router, namespace: metallb-system}}
spec:
  myASN: {asn}
  peerASN: {asn}
  peerAddress: 127.0.0.1
  peerPort: {port}
  holdTime: 9s
"""

SERVICE_WEB = """\
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  ipFamilyPolicy: PreferDualStack
  ipFamilies: [IPv4, IPv6]
"""

SERVICE_DNS = """\
---
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: default}
spec:
  type: LoadBalancer
  ipFamilies: [IPv4]
"""


def demo_config(port: int, *, with_dns: bool = True) -> str:
    return CONFIG.format(asn=ASN, port=port) + SERVICE_WEB + (SERVICE_DNS if with_dns else "")


def describe_route(route: Route) -> str:
    """One received route as the demo prints it."""
    path = route.attr(ASPath)
    asns = " ".join(str(asn) for asn in path.asns) if path is not None else ""
    local_pref = route.attr(LocalPref)
    communities = route.attr(Communities)
    large = route.attr(LargeCommunities)
    parts = [f"{route.prefix!s:<22} next hop {route.next_hop}",
             f"AS path [{asns}]" if asns else "AS path [] (iBGP)"]
    if local_pref is not None:
        parts.append(f"LOCAL_PREF {local_pref.value}")
    if communities is not None and communities.values:
        parts.append(f"communities {communities}")
    if large is not None and large.values:
        parts.append("large " + " ".join(str(value) for value in large.values))
    return "  ".join(parts)


class DemoRouter:
    """The bgpwire speaker playing the router: accepts the announcer from 127.0.0.1."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self.speaker = Speaker(ASN, ROUTER_ID, listen=[("127.0.0.1", 0)])
        self._out = out
        self._task: asyncio.Task[None] | None = None
        self.received = 0
        self.withdrawn = 0
        self.got_routes = asyncio.Event()
        self.session_down = asyncio.Event()

    @property
    def port(self) -> int:
        return self.speaker.listen_ports[0]

    async def start(self) -> None:
        await self.speaker.start()
        config = PeerConfig(local_as=ASN, peer_as=ASN, router_id=ROUTER_ID, hold_time=9,
                            passive=True)
        await self.speaker.add_peer(PeerSpec("127.0.0.1", config, passive=True))
        self._task = asyncio.get_running_loop().create_task(self._print())

    async def _print(self) -> None:
        async for event in self.speaker.events():
            if isinstance(event, PeerUp):
                caps = ", ".join(capabilities_of(event.negotiation))
                self._out(f"router: session with the announcer up ({caps})")
            elif isinstance(event, PeerDown):
                self._out(f"router: session down: {event.reason}")
                self.session_down.set()
            elif isinstance(event, RoutesReceived):
                for route in event.announced:
                    self.received += 1
                    self._out(f"router: + {describe_route(route)}")
                    self.got_routes.set()
                for route in event.withdrawn:
                    self.withdrawn += 1
                    self._out(f"router: - {route.prefix} withdrawn")

    async def close(self) -> None:
        await self.speaker.close("demo over")
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, 5)


async def demo(duration: float | None, out: Callable[[str], None], *,
               edit_after: float = EDIT_AFTER) -> int:
    """Run the demo until ``duration`` seconds passed, or SIGINT / SIGTERM. ``edit_after``
    seconds after the first routes arrive, the demo removes a service from the file."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    router = DemoRouter(out)
    try:
        await router.start()
        with tempfile.TemporaryDirectory(prefix="bgpwire-demo-") as workdir:
            return await _run(router, Path(workdir), duration=duration, stopping=stopping,
                              out=out, edit_after=edit_after)
    finally:
        await router.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _run(router: DemoRouter, workdir: Path, *, duration: float | None,
               stopping: asyncio.Event, out: Callable[[str], None], edit_after: float) -> int:
    config_path = workdir / "demo.yaml"
    config_path.write_text(demo_config(router.port))
    next_hop6 = global_ipv6_address() or FALLBACK_NEXT_HOP6
    next_hop4 = global_ipv4_address() or FALLBACK_NEXT_HOP4
    settings = NodeSettings(NODE, next_hop_ipv4=next_hop4, next_hop_ipv6=next_hop6)
    announcer = Announcer([str(config_path)], settings,
                          state_path=str(workdir / "state.json"), on_stop="withdraw")
    status = StatusServer(announcer.report, "127.0.0.1", 0)
    await status.start()
    out(f"demo: announcer (node {NODE}, AS {ASN}) -> router (bgpwire, AS {ASN}) "
        f"on 127.0.0.1:{router.port}; next hops {next_hop4} and {next_hop6}")
    out(f"demo: config {config_path} (edit and save it: reloaded within a second)")
    out(f"demo: status http://127.0.0.1:{status.port}/status and /metrics")
    out("demo: Ctrl-C ends it" + (f"; ending after {duration:g} s" if duration else ""))
    try:
        await announcer.start()
    except StartError as error:
        for problem in error.problems:
            out(f"demo: {problem}")
        await status.close()
        return 1
    edit = asyncio.get_running_loop().create_task(
        _remove_dns_later(router, config_path, edit_after, out))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), duration)
    edit.cancel()
    out("demo: stopping (the announcer withdraws its routes with a Cease)")
    await status.close()
    await announcer.stop()
    with contextlib.suppress(TimeoutError):  # let the router print the session's end
        await asyncio.wait_for(router.session_down.wait(), 2)
    out(f"demo: the router received {router.received} routes and saw {router.withdrawn} "
        "withdrawn")
    return 0


async def _remove_dns_later(router: DemoRouter, config_path: Path, delay: float,
                            out: Callable[[str], None]) -> None:
    await router.got_routes.wait()
    await asyncio.sleep(delay)
    if config_path.read_text() != demo_config(router.port):
        return  # the user edited it: leave their version alone
    out("demo: removing Service default/dns from the file...")
    config_path.write_text(demo_config(router.port, with_dns=False))


class _Lines(logging.Handler):
    """The announcer's log as ``announcer: ...`` lines between the router's."""

    def __init__(self, out: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self._out = out

    def emit(self, record: logging.LogRecord) -> None:
        self._out(f"announcer: {record.getMessage()}")


def run_demo(duration: float | None = None, stream: TextIO | None = None, *,
             edit_after: float = EDIT_AFTER) -> int:
    """The ``demo`` command."""
    target = stream or sys.stdout

    def out(line: str) -> None:
        print(line, file=target, flush=True)

    logger = logging.getLogger("bgpwire_announcer")
    handler = _Lines(out)
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        return asyncio.run(demo(duration, out, edit_after=edit_after))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
