"""A MetalLB ``BGPPeer`` as a bgpwire :class:`~bgpwire.speaker.PeerSpec`, and a plan's route as
the attributes bgpwire sends.

Choices where MetalLB leaves a value open (each is documented in ``docs/announcer.md``):

* **Router ID**: the BGPPeer's ``routerID``; else ``--router-id``; else the peer's
  ``sourceAddress`` when it is IPv4; else the IPv4 address this host sends from towards an IPv4
  peer (a route lookup, no packet); else four octets of the SHA-256 of the node name. The same
  inputs give the same ID on every start, which graceful restart needs.
* **Timers**: ``holdTime`` (default 90 s) and ``keepaliveTime`` (default a third of the hold
  time) as given; ``connectTime`` is the ConnectRetry interval, default
  :data:`DEFAULT_CONNECT_TIME` (RFC 4271 suggests 120 s, which leaves a service unannounced for
  two minutes after a router restarts; MetalLB users expect seconds). It also caps the wait
  before a new attempt after a failed one: bgpwire doubles that wait (IdleHold, RFC 4271
  DampPeerOscillations) from :data:`FIRST_RETRY_TIME` with each failure, up to 300 s, and a
  router that refuses connections while it restarts counts as failing, so without the cap a
  router down for 30 s was reached again only about 40 s after it came back.
* **TTL**: ``ebgpMultiHop`` sends with TTL 255; otherwise the system default TTL is kept, as
  MetalLB's native speaker does (a directly connected peer sees no difference).
* **Families**: IPv4 and IPv6 unicast on every session (multiprotocol, as MetalLB does by
  default); ``disableMP`` limits a session to the family of its transport. On an IPv6
  session, IPv4 routes go with ``--next-hop-ipv4`` when given, else over our IPv6 address where
  the router agrees to RFC 8950 (Extended Next Hop), else not at all (status says why).
* **Loopback sessions** (a router on the same host, over 127.0.0.0/8 or ``::1``): the session's
  own address is loopback, which a router drops as a martian next hop. Routes of the session's
  family then go with ``--next-hop-ipv4`` / ``--next-hop-ipv6`` when given, else with the host's
  own global address of that family; a host with none gets no session, and status says why
  (:data:`LOOPBACK_WITHOUT_NEXT_HOP`), rather than routes the router would refuse.
* **Graceful restart**: ``enableGracefulRestart`` advertises RFC 4724 with a restart time of
  :data:`GR_RESTART_TIME`. After a restart the speaker (made with ``restarting=True``) sets the
  Restart State and Forwarding State bits in the first OPEN: the node kept forwarding to its
  services while the announcer was down. The RFC 8538 N bit is not announced: with it, a
  router would keep the routes even after our Cease, and a Cease from the announcer (``--on-stop
  withdraw``, a removed peer) must mean "withdraw"; a stop meant to keep the routes sends no
  NOTIFICATION at all.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from bgpwire import parse_community
from bgpwire.aio import TransportOptions
from bgpwire.attributes import LargeCommunity, PathAttribute
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpwire.fsm import GracefulRestartConfig, PeerConfig
from bgpwire.rib import route_attributes
from bgpwire.speaker import PeerSpec
from bgpwire_announcer.interfaces import route_source_ipv4, router_id_from_name
from bgpwire_announcer.model import DEFAULT_HOLD_TIME, BGPPeer, RoutePlan

DEFAULT_CONNECT_TIME = 10.0
FIRST_RETRY_TIME = 5.0
"""Seconds before the first new attempt after a failure (bgpwire's default IdleHold)."""
GR_RESTART_TIME = 120
"""Seconds a peer keeps our routes while we restart (RFC 4724 §3); FRR's default."""
CONNECT_TIMEOUT = 10.0
SOURCE_ABSENT = "source address absent"
"""The problem of a BGPPeer whose ``sourceAddress`` is on no interface (as the plan says it)."""
PASSIVE_WITHOUT_LISTEN = "passive, but no --listen address to accept its connection on"
LOOPBACK_WITHOUT_NEXT_HOP = (
    "no IPv{version} next hop: the session runs over loopback ({address}), which routers refuse "
    "as a next hop, and this host has no global IPv{version} address; give --next-hop-ipv{version}")


class NoNextHop(ValueError):
    """A loopback session with no address to give as next hop (see the module docstring)."""


@dataclass(frozen=True, slots=True)
class NodeSettings:
    """What the command line adds to the BGPPeers for this node."""

    node: str
    router_id: IPv4Address | None = None
    next_hop_ipv4: IPv4Address | None = None
    """Next hop of IPv4 routes on IPv6 sessions and on loopback IPv4 sessions (on other IPv4
    sessions: the session's address)."""
    next_hop_ipv6: IPv6Address | None = None
    """Next hop of IPv6 routes on IPv4 sessions and on loopback IPv6 sessions (on other IPv6
    sessions: the session's address). The runtime fills it with the host's global IPv6 address
    when the command line does not give it."""
    host_ipv4: IPv4Address | None = None
    """The host's own global IPv4 address (found by the runtime): the next hop of IPv4 routes on
    loopback IPv4 sessions when ``next_hop_ipv4`` is not given."""
    listening: bool = False
    """``--listen`` was given: peers may connect to us."""


def router_id_for(peer: BGPPeer, settings: NodeSettings,
                  route_source: Callable[[str], IPv4Address | None] = route_source_ipv4,
                  ) -> IPv4Address:
    """The router ID of the session with ``peer``; see the module docstring for the order."""
    if peer.router_id:
        return IPv4Address(peer.router_id)
    if settings.router_id is not None:
        return settings.router_id
    if peer.source_address and ipaddress.ip_address(peer.source_address).version == 4:
        return IPv4Address(peer.source_address)
    towards = route_source(peer.peer_address)
    if towards is not None:
        return towards
    return router_id_from_name(settings.node)


def local_is_loopback(peer: BGPPeer) -> bool:
    """Whether the session's own address is a loopback one: its ``sourceAddress``, or, without
    one, the peer's address (a connection to a loopback address leaves from loopback)."""
    return ipaddress.ip_address(peer.source_address or peer.peer_address).is_loopback


def loopback_next_hops(peer: BGPPeer, settings: NodeSettings,
                       ) -> tuple[IPv4Address | None, IPv6Address | None]:
    """The next hops (IPv4, IPv6) to give a session whose own address is loopback; raises
    :class:`NoNextHop` when the session's family has none."""
    local = peer.source_address or peer.peer_address
    if ipaddress.ip_address(local).version == 6:
        if settings.next_hop_ipv6 is None:
            raise NoNextHop(LOOPBACK_WITHOUT_NEXT_HOP.format(version=6, address=local))
        return settings.next_hop_ipv4, settings.next_hop_ipv6
    next_hop = settings.next_hop_ipv4 or settings.host_ipv4
    if next_hop is None:
        raise NoNextHop(LOOPBACK_WITHOUT_NEXT_HOP.format(version=4, address=local))
    return next_hop, settings.next_hop_ipv6


def peer_spec(peer: BGPPeer, settings: NodeSettings,
              route_source: Callable[[str], IPv4Address | None] = route_source_ipv4,
              ) -> PeerSpec:
    """The bgpwire peer for ``peer`` on this node.

    Raises the bgpwire ``LocalProtocolError`` of the first value it refuses; validation has
    checked the same rules before, so that is a bug here, not a user error. Raises
    :class:`NoNextHop` for a loopback session this host has no next hop for.
    """
    ipv6_transport = ipaddress.ip_address(peer.peer_address).version == 6
    families: tuple[Family, ...] = (IPV4_UNICAST, IPV6_UNICAST)
    if peer.disable_mp:
        families = (IPV6_UNICAST,) if ipv6_transport else (IPV4_UNICAST,)
    graceful = None
    if peer.enable_graceful_restart:
        graceful = GracefulRestartConfig(restart_time=GR_RESTART_TIME, notification=False)
    hold = DEFAULT_HOLD_TIME if peer.hold_time is None else peer.hold_time
    connect = float(peer.connect_time or DEFAULT_CONNECT_TIME)
    config = PeerConfig(
        local_as=peer.my_asn, peer_as=peer.peer_asn,
        router_id=router_id_for(peer, settings, route_source),
        hold_time=hold, keepalive_time=peer.keepalive_time,
        connect_retry_time=connect, idle_hold_time=min(FIRST_RETRY_TIME, connect),
        idle_hold_time_max=connect,
        families=families, graceful_restart=graceful, passive=peer.passive)
    options = TransportOptions(
        remote_port=peer.peer_port, local_address=peer.source_address,
        md5_password=peer.password or None, ttl=255 if peer.ebgp_multihop else None,
        freebind=peer.freebind, connect_timeout=CONNECT_TIMEOUT)
    if local_is_loopback(peer):
        next_hop, next_hop6 = loopback_next_hops(peer, settings)
    else:
        next_hop = settings.next_hop_ipv4 if ipv6_transport else None
        next_hop6 = None if ipv6_transport else settings.next_hop_ipv6
    return PeerSpec(peer.peer_address, config, options, next_hop=next_hop, next_hop6=next_hop6,
                    passive=peer.passive, extended_next_hop=ipv6_transport)


def peer_problem(peer: BGPPeer, planned: str | None, *, listening: bool) -> str | None:
    """Why ``peer`` cannot be started on this node, if it cannot: the plan's reason (its source
    address is absent), a VRF, a passive peer with nothing to accept it, or a ``passwordSecret``
    whose password was not read into ``password`` (validation and
    :func:`~.passwords.resolve_passwords` see to it that this does not happen; a session
    without the MD5 key the router expects would only be refused). A passive peer may have a
    password: the speaker gives its listeners each peer's TCP-MD5 key."""
    if planned:
        return planned
    if peer.vrf:
        return (f"vrf {peer.vrf!r}: sessions inside a VRF are not supported (it would run in "
                "the default routing table)")
    if peer.passive and not listening:
        return PASSIVE_WITHOUT_LISTEN
    if peer.password_secret and not peer.password:
        return (f"passwordSecret {peer.password_secret!r}: no password was read from the "
                "Secret, so the session would lack its TCP-MD5 key")
    return None


def plan_attributes(route: RoutePlan) -> tuple[PathAttribute, ...]:
    """ORIGIN IGP, an empty AS_PATH (the speaker prepends our AS towards eBGP peers), the
    advertisement's LOCAL_PREF (the speaker drops it towards eBGP peers, RFC 4271 §5.1.5, and
    gives iBGP peers 100 when none is asked), COMMUNITIES and LARGE_COMMUNITY."""
    return route_attributes(
        local_pref=route.local_pref,
        communities=sorted(parse_community(text) for text in route.communities),
        large_communities=sorted(LargeCommunity.parse(text)
                                 for text in route.large_communities))
