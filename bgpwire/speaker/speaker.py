"""The speaker a program embeds: many peers, one set of local routes, one stream of events.

:class:`Speaker` is glue. Each peer (:class:`~bgpwire.speaker.peer.Peer`) runs a
:class:`~bgpwire.aio.PeerSession`; connections from peers arrive through one
:class:`~bgpwire.aio.Listener` per listen address. Peers are added, changed and removed one at
a time without touching the others.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network, IPv6Network, ip_address
from typing import Any

from bgpwire.aio import Listener, PeerSession, sockopts
from bgpwire.aio.options import MAX_TTL
from bgpwire.attributes import PathAttribute
from bgpwire.errors import LocalProtocolError
from bgpwire.fsm import PeerConfig, State
from bgpwire.rib import AdjRibIn, AdjRibOut, NextHopAddress, RouteKey
from bgpwire.speaker.events import DEFAULT_MAX_EVENTS, EventQueue, SpeakerEvent
from bgpwire.speaker.originations import LocalRoutes, Origination, originations, route_key
from bgpwire.speaker.peer import Peer
from bgpwire.speaker.spec import PeerSpec
from bgpwire.speaker.status import Capabilities, PeerStatus

DEFAULT_STALE_TIME = 360.0
"""How long stale routes wait for the End-of-RIB of a peer that came back (RFC 4724 §4.2
leaves the value to the implementation; this is FRR's ``stalepath-time``)."""


class Speaker:
    """A BGP speaker of AS ``local_as`` with ``router_id``, listening on ``listen``.

    ``local_as`` and ``router_id`` are defaults: each peer's :class:`PeerConfig` says the AS
    and router id its session uses, and they may differ from peer to peer (a load balancer
    node may be AS 64512 to its top-of-rack switch and AS 64600 to a route server, as
    MetalLB's BGPPeer lets each peer carry its own myASN and routerID). :meth:`peer_config`
    builds a configuration with the defaults, for peers and :meth:`accept_range` templates.

    ``restarting``: this speaker is coming back after a restart while forwarding went on
    (RFC 4724 §4.1). The first OPEN sent to each peer whose configuration has
    ``graceful_restart`` then sets the Restart State bit and the Forwarding State bit of every
    family; the routes and an End-of-RIB per family follow as always, and the peer drops the
    stale routes we did not send again. Later sessions with that peer do not set the bit.

    Listen on port 0 to get a free port (:attr:`listen_ports`). The listeners send their
    SYN-ACKs with TTL 255, so that a peer using GTSM (RFC 5082 §3) accepts them, whenever it
    is added; each accepted connection then takes its peer's own ``ttl`` or ``gtsm_hops``. See
    :mod:`bgpwire.speaker.events` for what happens when the program does not read
    :meth:`events`.
    """

    def __init__(self, local_as: int, router_id: IPv4Address, *,
                 listen: Sequence[tuple[str, int]] = (),
                 max_events: int = DEFAULT_MAX_EVENTS,
                 stale_time: float = DEFAULT_STALE_TIME,
                 restarting: bool = False) -> None:
        self.local_as = local_as
        self.router_id = router_id
        self.stale_time = stale_time
        self._listen = tuple(listen)
        self._listeners: list[Listener] = []
        self._peers: dict[str, Peer] = {}
        self._local = LocalRoutes()
        self._events = EventQueue(max_events)
        self._ranges: list[tuple[IPv4Network | IPv6Network, PeerSpec]] = []
        self._restarted: set[str] | None = set() if restarting else None

    # --- life -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening (peers added before are started too)."""
        self._events.open()
        for host, port in self._listen:
            listener = Listener(self._lookup, host, port, send_ttl=MAX_TTL)
            for peer in self._peers.values():  # before the socket listens: no unsigned gap
                self._listen_md5(listener, peer.key, peer.spec.options.md5_password)
            await listener.start()
            self._listeners.append(listener)
        for peer in self._peers.values():
            if peer.session is None:
                await peer.start()

    async def close(self, reason: str = "", *, graceful: bool = False) -> None:
        """Stop every session with Cease / Administrative Shutdown and ``reason`` as the
        RFC 9003 Shutdown Communication, stop listening, and end :meth:`events`.

        ``graceful`` drops every connection without a NOTIFICATION instead, as a restart
        would: peers that negotiated Graceful Restart keep our routes as stale until a speaker
        made with ``restarting=True`` comes back, or their restart timer runs out (RFC 4724).
        """
        for listener in self._listeners:
            await listener.close()
        self._listeners.clear()
        peers = self._peers.values()
        await asyncio.gather(*(peer.drop() if graceful else peer.stop(reason) for peer in peers))
        for peer in self._peers.values():
            peer.discard()
        self._events.close()

    @property
    def refused_connections(self) -> int:
        """Connections closed at once because no configured peer or range matched them."""
        return sum(listener.refused for listener in self._listeners)

    @property
    def listen_ports(self) -> list[int]:
        """The port of each listen address (the one picked where port 0 was asked for)."""
        return [listener.port for listener in self._listeners]

    # --- peers ------------------------------------------------------------------------------

    async def add_peer(self, spec: PeerSpec) -> None:
        """Add the peer of ``spec`` and start its session (at :meth:`start` if not started)."""
        address = sockopts.normalize_address(spec.address)
        if address in self._peers:
            raise LocalProtocolError(f"peer {address} exists; use update_peer")
        for listener in self._listeners:  # may refuse the key: before the peer exists
            self._listen_md5(listener, address, spec.options.md5_password)
        peer = self._peers[address] = self._new_peer(spec)
        if self._listeners or not self._listen:
            await peer.start()

    def peer_config(self, peer_as: int | None, **fields: Any) -> PeerConfig:
        """A :class:`PeerConfig` with the speaker's ``local_as`` and ``router_id`` (unless
        ``fields`` give others) and ``peer_as``; other ``fields`` as PeerConfig takes them."""
        fields.setdefault("local_as", self.local_as)
        fields.setdefault("router_id", self.router_id)
        return PeerConfig(peer_as=peer_as, **fields)

    def _new_peer(self, spec: PeerSpec) -> Peer:
        return Peer(spec, self._local, self._events, stale_time=self.stale_time,
                    restarted=self._restarted)

    async def remove_peer(self, address: str, reason: str = "") -> None:
        """Stop the session (Administrative Shutdown with ``reason``) and forget the peer; its
        routes are reported withdrawn, and the routes originated to it alone are dropped."""
        peer = self._peer(address)
        self._local.drop_peer(peer.key)
        await self._drop(peer, reason)

    @staticmethod
    def _listen_md5(listener: Listener, address: str, password: str | None) -> None:
        """Have ``listener`` require the TCP-MD5 ``password`` of the peer at ``address``
        (``None``: none any more), where the listening socket can take that peer at all."""
        if ":" in address and sockopts.family_of(listener.host) != socket.AF_INET6:
            return
        listener.set_md5_password(address, password)

    async def _drop(self, peer: Peer, reason: str) -> None:
        for listener in self._listeners:
            self._listen_md5(listener, peer.key, None)
        del self._peers[peer.key]
        await peer.stop(reason)
        peer.discard()

    async def update_peer(self, spec: PeerSpec, reason: str = "configuration changed") -> None:
        """Apply a changed ``spec`` to the peer of its address: nothing if it is the same,
        otherwise that peer's session is restarted with it. Routes originated to that peer
        alone are kept."""
        peer = self._peer(spec.address)
        if peer.spec == spec:
            return
        await self._drop(peer, reason)
        await self.add_peer(spec)

    def peers(self) -> list[PeerStatus]:
        """A snapshot of every peer (see :class:`PeerStatus`)."""
        return [self._status(peer) for peer in self._peers.values()]

    def peer_status(self, address: str) -> PeerStatus:
        """A snapshot of the peer at ``address``: state, uptime, last error, what the session
        negotiated, counters, and the routes that cannot be sent to it with the reason."""
        return self._status(self._peer(address))

    @staticmethod
    def _status(peer: Peer) -> PeerStatus:
        session = peer.session
        state = session.state if session is not None else State.IDLE
        last_error = peer.last_error
        if session is not None and state is not State.ESTABLISHED and session.last_error:
            last_error = f"connection failed: {session.last_error}"
        since = peer.established_at
        now = asyncio.get_running_loop().time() if since is not None else None
        negotiation = peer.negotiation
        return PeerStatus(
            peer.key, state, len(peer.adj_in), len(peer.adj_out),
            established_at=since,
            uptime=None if since is None or now is None else now - since,
            last_error=last_error,
            capabilities=None if negotiation is None else Capabilities.of(negotiation),
            updates_sent=peer.outbound.updates_sent,
            updates_received=peer.updates_received,
            advertised_by_family=peer.outbound.advertised(),
            unsent=dict(peer.outbound.unsent),
        )

    def adj_rib_in(self, address: str) -> AdjRibIn:
        return self._peer(address).adj_in

    def adj_rib_out(self, address: str) -> AdjRibOut:
        return self._peer(address).adj_out

    def session(self, address: str) -> PeerSession | None:
        """The session of the peer at ``address`` (a new one after each restart)."""
        return self._peer(address).session

    def _peer(self, address: str) -> Peer:
        peer = self._peers.get(sockopts.normalize_address(address))
        if peer is None:
            raise LocalProtocolError(f"no peer {address}")
        return peer

    def accept_range(self, network: IPv4Network | IPv6Network, template: PeerSpec) -> None:
        """Accept connections from any address in ``network`` as passive peers made from
        ``template`` (its address is replaced by the connecting one).

        Such a peer is created when it first connects and then stays, like a configured one,
        until :meth:`remove_peer`. Configured peers take precedence; the first matching range
        wins. Only connections reaching a listener can match, so give ``listen``. A template
        with a TCP-MD5 password is refused: the listener sets keys per peer address, so it
        could not require the signature from a range.
        """
        if template.options.md5_password is not None:
            raise LocalProtocolError(
                f"accept_range {network}: template options.md5_password cannot be required "
                "of an address range; configure those peers one by one")
        self._ranges.append((network, template))

    def _lookup(self, address: str) -> PeerSession | None:
        peer = self._peers.get(address)
        if peer is not None:
            return peer.session
        remote = ip_address(address)
        for network, template in self._ranges:
            if remote in network:
                spec = replace(template, address=address, passive=True)
                peer = self._peers[address] = self._new_peer(spec)
                return peer.start_passive()
        return None

    # --- local routes -----------------------------------------------------------------------

    def announce(self, prefix: IPv4Network | IPv6Network, *,
                 attributes: Sequence[PathAttribute] = (),
                 next_hop: NextHopAddress | None = None, peer: str | None = None) -> None:
        """Originate ``prefix`` to every peer, or to ``peer`` only.

        ``attributes`` default to ORIGIN IGP and an empty AS_PATH; ``next_hop`` (default: each
        peer's, see :class:`PeerSpec`) is sent as given. A route given for one peer replaces,
        for that peer, a route of the same prefix given for every peer; it is kept under the
        peer's address through reconnections and :meth:`update_peer` (the address need not be
        a peer yet) until withdrawn or :meth:`remove_peer`. UPDATEs go out once per turn of
        the event loop, packed, however many routes changed.
        """
        self.announce_many((prefix,), attributes=attributes, next_hop=next_hop, peer=peer)

    def announce_many(self, prefixes: Iterable[IPv4Network | IPv6Network], *,
                      attributes: Sequence[PathAttribute] = (),
                      next_hop: NextHopAddress | None = None, peer: str | None = None) -> None:
        """:meth:`announce` for many prefixes sharing ``attributes`` and ``next_hop``: the
        attributes are checked once and each peer is offered all the changes at once."""
        routes = self._local.intern(list(originations(prefixes, attributes, next_hop)))
        target = self._target(peer)
        self._offer(self._local.set(routes, target), target, routes)

    def withdraw(self, prefix: IPv4Network | IPv6Network, *, peer: str | None = None) -> None:
        """Stop originating ``prefix`` to every peer (``peer`` keeps a route given for it
        alone), or, with ``peer``, the route given for that peer alone (it then gets the
        route given for every peer, if any)."""
        self.withdraw_many((prefix,), peer=peer)

    def withdraw_many(self, prefixes: Iterable[IPv4Network | IPv6Network], *,
                      peer: str | None = None) -> None:
        """:meth:`withdraw` for many prefixes, offered to each peer at once."""
        target = self._target(peer)
        keys = [route_key(prefix) for prefix in prefixes]
        self._offer(self._local.remove(keys, target), target)

    def local_routes(self, peer: str | None = None) -> list[Origination]:
        """The routes originated to every peer; with ``peer``, those ``peer`` is offered (its
        own, then the shared ones it has no own route for)."""
        if peer is None:
            return list(self._local.shared.values())
        return self._local.for_peer(self._normalized(peer))

    def _target(self, peer: str | None) -> str | None:
        return None if peer is None else self._normalized(peer)

    @staticmethod
    def _normalized(peer: str) -> str:
        try:
            ip_address(peer)
        except ValueError:
            raise LocalProtocolError(f"peer {peer!r}: is not an IP address") from None
        return sockopts.normalize_address(peer)

    def _offer(self, keys: list[RouteKey], peer: str | None,
               routes: list[Origination] | None = None) -> None:
        if not keys:
            return
        if peer is None:
            for each in self._peers.values():
                each.offer(keys, routes)
        elif (one := self._peers.get(peer)) is not None:
            one.offer(keys)

    # --- events -----------------------------------------------------------------------------

    def events(self) -> AsyncIterator[SpeakerEvent]:
        """The speaker's events, oldest first; ends after :meth:`close`. One reader only."""
        return aiter(self._events)

    @property
    def dropped_events(self) -> int:
        """Events dropped because the queue was full (see :mod:`bgpwire.speaker.events`)."""
        return self._events.dropped
