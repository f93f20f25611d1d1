"""What every daemon fixture offers, and the address/AS plan shared by configs and tests.

Each daemon runs in the daemon namespace bound to its own address pair (``10.99.<n>.2x`` and
``fd99:<n>::2x``) and is configured for exact bgpwire-side neighbor addresses
(``10.99.<n>.1x`` ...), so a session that comes up proves bgpwire bound that source address.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

from tests.interop.netns import Topology
from tests.interop.procs import DaemonProcess, RibEntry, listening, wait_for

BGPWIRE_AS = 65010
PRIMARY_HOST = 1
"""The first address of bgpwire's namespace: what an unbound socket would use as source."""

SESSION_SLOT, SEND_SLOT, RECEIVE_SLOT = 0, 1, 2
"""Each test talks to a daemon from its own bgpwire address (slot), so no test depends on how
fast a daemon accepts a neighbor again after the previous test's session went down (GoBGP
closes new connections for several seconds after a reset)."""
SLOT_STRIDE = 50

MED = 42
LOCAL_VALUE = 7
"""Daemon-originated routes carry community ``<daemon AS>:7`` and large ``<AS>:7:7``."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Host numbers (last octet / last group) and AS of one daemon."""

    asn: int
    daemon_host: int
    peer_host: int
    """bgpwire's address for this daemon's sessions (IPv4 and IPv6 transport)."""
    index: int
    """Selects the prefixes the daemon originates: 198.51.100.<index>/32, 2001:db8:<index>::/48."""


class Daemon(ABC):
    """A running daemon and the queries the tests need."""

    name: ClassVar[str]
    plan: ClassVar[Plan]
    listen_timeout: ClassVar[float] = 15.0

    def __init__(self, topology: Topology, workdir: Path) -> None:
        self.topology = topology
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.process = DaemonProcess(self.name, workdir / f"{self.name}.log", self.argv())

    # --- addresses ----------------------------------------------------------------------------

    @property
    def address4(self) -> str:
        return self.topology.addresses.v4(self.plan.daemon_host)

    @property
    def address6(self) -> str:
        return self.topology.addresses.v6(self.plan.daemon_host)

    @property
    def peer4(self) -> str:
        return self.topology.addresses.v4(self.plan.peer_host)

    @property
    def peer6(self) -> str:
        return self.topology.addresses.v6(self.plan.peer_host)

    def slot4(self, slot: int) -> str:
        """bgpwire's IPv4 address for the sessions of test slot ``slot``."""
        return self.host4(self.plan.peer_host + SLOT_STRIDE * slot)

    @property
    def slots4(self) -> list[str]:
        return [self.slot4(slot) for slot in (SESSION_SLOT, SEND_SLOT, RECEIVE_SLOT)]

    def host4(self, host: int) -> str:
        return self.topology.addresses.v4(host)

    @property
    def originated4(self) -> str:
        return f"198.51.100.{self.plan.index}/32"

    @property
    def originated6(self) -> str:
        return f"2001:db8:{self.plan.index}::/48"

    @property
    def community(self) -> str:
        return f"{self.plan.asn}:{LOCAL_VALUE}"

    @property
    def large_community(self) -> str:
        return f"{self.plan.asn}:{LOCAL_VALUE}:{LOCAL_VALUE}"

    @property
    @abstractmethod
    def originated6_next_hop(self) -> str:
        """The next hop bgpwire sees on the IPv6 route over the IPv4 session."""

    # --- life cycle ---------------------------------------------------------------------------

    @abstractmethod
    def argv(self) -> list[str]:
        """The command line (run under ``ip netns exec``)."""

    @abstractmethod
    def write_config(self) -> None: ...

    def env(self) -> dict[str, str]:
        return {}

    def start(self) -> None:
        self.write_config()
        self.process.start(self.topology.side_b, self.env())

    def wait_ready(self) -> None:
        for address in (self.address4, self.address6):
            wait_for(f"{self.name} listening on [{address}]:179",
                     partial(listening, self.topology.side_b, address),
                     self.process, self.listen_timeout)

    def stop(self) -> None:
        self.process.stop()

    # --- queries ------------------------------------------------------------------------------

    @abstractmethod
    def established(self, neighbor: str) -> bool:
        """Whether the session with bgpwire at ``neighbor`` is Established."""

    @abstractmethod
    def routes(self, afi: str, neighbor: str) -> dict[str, RibEntry]:
        """The routes learned from ``neighbor`` for ``afi`` ("ipv4"/"ipv6"), by prefix."""

    def expected_from_daemon(self, afi: str) -> RibEntry:
        """The route this daemon originates towards bgpwire, as bgpwire should receive it."""
        if afi == "ipv4":
            prefix, next_hop = self.originated4, self.address4
        else:
            prefix, next_hop = self.originated6, self.originated6_next_hop
        return RibEntry(prefix, next_hop, (self.plan.asn,), MED,
                        frozenset({self.community}), frozenset({self.large_community}))
