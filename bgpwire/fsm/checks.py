"""The checks a received OPEN must pass before a session goes on (RFC 4271 §6.2 and later).

The codec already refuses what is wrong with the message itself (version, hold time 1 or 2,
identifier 0.0.0.0, malformed capabilities). What needs the configuration is here; each check
raises the :class:`~bgpwire.errors.OpenMessageError` whose NOTIFICATION answers it.
"""

from __future__ import annotations

from bgpwire.constants import AS_TRANS, BGPRole, CapabilityCode
from bgpwire.errors import (
    BadBGPIdentifier,
    BadPeerAS,
    RoleMismatch,
    UnacceptableHoldTime,
    UnsupportedCapability,
)
from bgpwire.fsm.config import PeerConfig
from bgpwire.messages.capabilities import (
    BGPRoleCapability,
    Capability,
    FourOctetASCapability,
    MultiprotocolCapability,
)
from bgpwire.messages.open import Open

ROLE_PAIRS: frozenset[tuple[BGPRole, BGPRole]] = frozenset({
    (BGPRole.PROVIDER, BGPRole.CUSTOMER),
    (BGPRole.CUSTOMER, BGPRole.PROVIDER),
    (BGPRole.ROUTE_SERVER, BGPRole.ROUTE_SERVER_CLIENT),
    (BGPRole.ROUTE_SERVER_CLIENT, BGPRole.ROUTE_SERVER),
    (BGPRole.PEER, BGPRole.PEER),
})
"""(local role, peer role) pairs RFC 9234 §4.2 accepts; every other pair is a Role Mismatch."""


def check_open(remote: Open, config: PeerConfig) -> None:
    """Raise the OPEN Message Error ``remote`` deserves, or return if it is acceptable."""
    _check_peer_as(remote, config)
    _check_identifier(remote, config)
    if remote.hold_time in (1, 2):
        raise UnacceptableHoldTime(f"hold time {remote.hold_time} is neither 0 nor at least 3")
    _check_required(remote, config)
    _check_role(remote, config)


def _check_peer_as(remote: Open, config: PeerConfig) -> None:
    """RFC 4271 §6.2, RFC 6793 §4.2, RFC 7607. The data is the My AS field, as FRR sends it."""
    data = remote.my_as.to_bytes(2, "big")
    four = remote.capability(FourOctetASCapability)
    if four is not None and remote.my_as not in (AS_TRANS, four.asn):
        raise BadPeerAS(
            f"My AS {remote.my_as} is neither AS_TRANS nor the 4-octet AS {four.asn}", data)
    asn = remote.asn
    if asn == 0:
        raise BadPeerAS("peer AS 0 (RFC 7607)", data)
    if config.peer_as is not None and asn != config.peer_as:
        raise BadPeerAS(f"peer AS {asn}, expected {config.peer_as}", data)


def _check_identifier(remote: Open, config: PeerConfig) -> None:
    """RFC 6286 §2.2: zero, or our own identifier on an internal session, is refused."""
    identifier = remote.bgp_identifier
    if int(identifier) == 0:
        raise BadBGPIdentifier("BGP identifier 0.0.0.0")
    if identifier == config.router_id and remote.asn == config.local_as:
        raise BadBGPIdentifier(f"internal peer uses our BGP identifier {identifier}")


def _satisfies(have: Capability, want: Capability | CapabilityCode) -> bool:
    if not isinstance(want, Capability):
        return have.type_code == want
    if isinstance(want, MultiprotocolCapability):
        return isinstance(have, MultiprotocolCapability) and have.family == want.family
    return have == want


def _encode_wanted(want: Capability | CapabilityCode) -> bytes:
    """The triple RFC 5492 §5 puts in the data; a bare code is sent with an empty value."""
    return want.encode() if isinstance(want, Capability) else bytes((want, 0))


def _check_required(remote: Open, config: PeerConfig) -> None:
    missing = [
        want for want in config.required_capabilities
        if not any(_satisfies(have, want) for have in remote.capabilities)
    ]
    if missing:
        names = ", ".join(
            type(w).__name__ if isinstance(w, Capability) else w.name for w in missing)
        raise UnsupportedCapability(
            f"required capabilities missing: {names}",
            b"".join(_encode_wanted(want) for want in missing),
        )


def _check_role(remote: Open, config: PeerConfig) -> None:
    """RFC 9234 §4.2, applied only when we have a role ourselves."""
    local = config.role
    if local is None:
        return
    roles = {cap.role for cap in remote.capabilities if isinstance(cap, BGPRoleCapability)}
    if not roles:
        if config.role_strict:
            raise RoleMismatch("strict BGP role: the peer announced no role")
        return
    if len(roles) > 1:
        raise RoleMismatch(f"the peer announced several roles: {sorted(roles)}")
    (peer,) = roles
    if (local, peer) not in ROLE_PAIRS:
        name = peer.name if isinstance(peer, BGPRole) else str(peer)
        raise RoleMismatch(f"our role {local.name} does not pair with the peer's {name}")
