"""What the program says about one peer of a :class:`~bgpwire.speaker.Speaker`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv6Address

from bgpwire.aio import TransportOptions
from bgpwire.constants import AFI
from bgpwire.errors import LocalProtocolError
from bgpwire.families import IPV4_UNICAST
from bgpwire.fsm import PeerConfig
from bgpwire.messages.capabilities import ExtendedNextHopCapability, ExtendedNextHopEntry

DEFAULT_OPTIONS = TransportOptions()
IPV4_OVER_IPV6 = ExtendedNextHopCapability((ExtendedNextHopEntry(IPV4_UNICAST, AFI.IPV6),))
"""RFC 8950 §3: IPv4 unicast routes may have an IPv6 next hop."""


@dataclass(frozen=True, slots=True)
class PeerSpec:
    """One peer; validated on construction (an invalid one cannot exist).

    * ``address``: the peer's IP address (the key of the peer in the speaker).
    * ``config``: the session, with its own ``local_as`` and ``router_id`` (they may differ
      from the speaker's and from other peers').
    * ``max_prefixes``: more routes than this in one family end the session with Cease /
      Maximum Number of Prefixes Reached (RFC 4486 §4); ``max_prefix_restart`` is how many
      seconds later the session is started again (``None``: it stays down until changed).
    * ``next_hop`` / ``next_hop6``: the next hop we send IPv4 / IPv6 routes with. Without
      ``next_hop`` our IPv4 address on the connection is used; without ``next_hop6`` IPv6 routes
      are sent only where the connection itself is IPv6 (its local address).
    * ``ipv4_multiprotocol``: IPv4 unicast in MP_REACH_NLRI rather than the classic fields.
    * ``passive``: never connect, only accept (it overrides ``config.passive``).
    * ``extended_next_hop``: announce Extended Next Hop for IPv4 unicast over IPv6 (RFC 8950):
      where the peer announces it too and we have no IPv4 next hop for it (an IPv6-only
      connection without ``next_hop``), IPv4 routes are sent over our IPv6 next hop.
    """

    address: str
    config: PeerConfig
    options: TransportOptions = field(default=DEFAULT_OPTIONS)
    max_prefixes: int | None = None
    max_prefix_restart: float | None = None
    next_hop: IPv4Address | None = None
    next_hop6: IPv6Address | None = None
    ipv4_multiprotocol: bool = False
    passive: bool = False
    extended_next_hop: bool = False

    def __post_init__(self) -> None:
        try:
            ipaddress.ip_address(self.address)
        except ValueError:
            _refuse("address", self.address, "is not an IP address")
        if not isinstance(self.config, PeerConfig):
            _refuse("config", self.config, "is not a PeerConfig")
        if not isinstance(self.options, TransportOptions):
            _refuse("options", self.options, "is not a TransportOptions")
        if self.max_prefixes is not None and (
                isinstance(self.max_prefixes, bool) or not isinstance(self.max_prefixes, int)
                or self.max_prefixes < 1):
            _refuse("max_prefixes", self.max_prefixes, "must be a positive integer")
        if self.max_prefix_restart is not None and not self.max_prefix_restart > 0:
            _refuse("max_prefix_restart", self.max_prefix_restart, "must be positive")
        if self.max_prefix_restart is not None and self.max_prefixes is None:
            _refuse("max_prefix_restart", self.max_prefix_restart, "needs max_prefixes")
        if self.next_hop is not None and (
                not isinstance(self.next_hop, IPv4Address) or self.next_hop.is_unspecified):
            _refuse("next_hop", self.next_hop, "must be a specified IPv4Address")
        if self.next_hop6 is not None and (
                not isinstance(self.next_hop6, IPv6Address) or self.next_hop6.is_unspecified
                or self.next_hop6.is_link_local):
            _refuse("next_hop6", self.next_hop6, "must be a global IPv6Address")

    @property
    def session_config(self) -> PeerConfig:
        """``config`` with ``passive`` and ``extended_next_hop`` applied."""
        config = self.config
        if config.passive != self.passive:
            config = replace(config, passive=self.passive)
        if self.extended_next_hop and not any(
                isinstance(c, ExtendedNextHopCapability) for c in config.extra_capabilities):
            config = replace(config, extra_capabilities=(
                *config.extra_capabilities, IPV4_OVER_IPV6))
        return config


def _refuse(name: str, value: object, reason: str) -> None:
    raise LocalProtocolError(f"PeerSpec.{name} = {value!r} {reason}")
