"""Building our OPEN, and what two OPENs agree on (RFC 5492 and the capability RFCs).

:func:`negotiate` is a pure function of the two OPEN messages: the local one was built from the
configuration by :func:`build_open`, so the configuration adds nothing the OPEN does not say.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from bgpwire.constants import BGPRole
from bgpwire.context import Negotiated
from bgpwire.families import Family
from bgpwire.fsm.config import PeerConfig
from bgpwire.messages.capabilities import (
    AddPathCapability,
    AddPathEntry,
    AddPathMode,
    BGPRoleCapability,
    Capability,
    EnhancedRouteRefreshCapability,
    ExtendedMessageCapability,
    FourOctetASCapability,
    GracefulRestartCapability,
    GracefulRestartFamily,
    MultiprotocolCapability,
    RouteRefreshCapability,
)
from bgpwire.messages.open import Open

_RECEIVES = frozenset({AddPathMode.RECEIVE, AddPathMode.BOTH})
_SENDS = frozenset({AddPathMode.SEND, AddPathMode.BOTH})


def build_open(config: PeerConfig) -> Open:
    """The OPEN this side sends: one capability per configured feature, then the extra ones."""
    caps: list[Capability] = [MultiprotocolCapability(family) for family in config.families]
    if config.route_refresh:
        caps.append(RouteRefreshCapability())
    if config.enhanced_route_refresh:
        caps.append(EnhancedRouteRefreshCapability())
    if config.extended_message:
        caps.append(ExtendedMessageCapability())
    if config.add_path:
        caps.append(AddPathCapability(tuple(AddPathEntry(f, m) for f, m in config.add_path)))
    gr = config.graceful_restart
    if gr is not None:
        caps.append(GracefulRestartCapability(
            restart_state=gr.restarting,
            notification=gr.notification,
            restart_time=gr.restart_time,
            families=tuple(
                GracefulRestartFamily(family, family in gr.forwarding_state)
                for family in config.families
            ),
        ))
    if config.role is not None:
        caps.append(BGPRoleCapability(config.role))
    caps.append(FourOctetASCapability(config.local_as))
    caps.extend(config.extra_capabilities)
    return Open.build(
        asn=config.local_as,
        hold_time=config.hold_time,
        bgp_identifier=config.router_id,
        capabilities=tuple(caps),
    )


@dataclass(frozen=True, slots=True)
class Negotiation:
    """What a session agreed on. Keep it for the life of the session.

    ``receive_ctx`` decodes what the peer sends (ADD-PATH where we receive and it sends);
    ``send_ctx`` encodes what we send (ADD-PATH where we send and it receives).
    ``keepalive_time`` is a third of ``hold_time`` (the session puts a shorter configured
    :attr:`PeerConfig.keepalive_time` in its place); both are 0 when either side asked for 0.
    """

    local: Open
    remote: Open
    peer_as: int
    peer_id: IPv4Address
    families: tuple[Family, ...]
    four_octet_as: bool
    extended_message: bool
    add_path_receive: frozenset[Family]
    add_path_send: frozenset[Family]
    internal: bool
    route_refresh: bool
    enhanced_route_refresh: bool
    graceful_restart: GracefulRestartCapability | None
    peer_role: BGPRole | int | None
    hold_time: int
    keepalive_time: float
    receive_ctx: Negotiated
    send_ctx: Negotiated


def _add_path_modes(open_: Open) -> dict[Family, AddPathMode]:
    modes: dict[Family, AddPathMode] = {}
    for cap in open_.capabilities:
        if isinstance(cap, AddPathCapability):
            for entry in cap.entries:
                modes.setdefault(entry.family, entry.mode)
    return modes


def _both(local: Open, remote: Open, cls: type[Capability]) -> bool:
    return local.capability(cls) is not None and remote.capability(cls) is not None


def negotiate(local: Open, remote: Open) -> Negotiation:
    """What ``local`` (sent) and ``remote`` (received) agree on.

    Families are those both announce, in our order. ADD-PATH is decided per family as RFC 7911
    §4 says: we receive paths where we announced Receive and the peer Send. A feature that only
    one side announced is off. The hold time is the smaller of the two (RFC 4271 §4.2).
    """
    remote_families = set(remote.families)
    families = tuple(f for f in local.families if f in remote_families)
    ours, theirs = _add_path_modes(local), _add_path_modes(remote)
    receive = frozenset(
        f for f in families if ours.get(f) in _RECEIVES and theirs.get(f) in _SENDS
    )
    send = frozenset(f for f in families if ours.get(f) in _SENDS and theirs.get(f) in _RECEIVES)
    four_octet_as = _both(local, remote, FourOctetASCapability)
    extended_message = _both(local, remote, ExtendedMessageCapability)
    internal = local.asn == remote.asn
    hold_time = min(local.hold_time, remote.hold_time)
    role = remote.capability(BGPRoleCapability)
    return Negotiation(
        local=local,
        remote=remote,
        peer_as=remote.asn,
        peer_id=remote.bgp_identifier,
        families=families,
        four_octet_as=four_octet_as,
        extended_message=extended_message,
        add_path_receive=receive,
        add_path_send=send,
        internal=internal,
        route_refresh=_both(local, remote, RouteRefreshCapability),
        enhanced_route_refresh=_both(local, remote, EnhancedRouteRefreshCapability),
        graceful_restart=remote.capability(GracefulRestartCapability),
        peer_role=None if role is None else role.role,
        hold_time=hold_time,
        keepalive_time=hold_time / 3,
        receive_ctx=Negotiated(four_octet_as, extended_message, receive, internal),
        send_ctx=Negotiated(four_octet_as, extended_message, send, internal),
    )
