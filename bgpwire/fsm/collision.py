"""Connection collision detection (RFC 4271 §6.8, RFC 6286 §2.3).

bgpwire runs one :class:`~bgpwire.fsm.session.Session` per TCP connection. When a peer connects
to us while our own connection to it is also coming up, the speaker holds two sessions for one
peer. As soon as the incoming one has received the peer's OPEN, :func:`collision_winner` says
which to keep; the speaker calls ``loser.close_collision(now)``, which sends Cease / Connection
Collision Resolution and closes it.
"""

from __future__ import annotations

from enum import Enum
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from bgpwire.errors import LocalProtocolError
from bgpwire.fsm.states import State

if TYPE_CHECKING:
    from bgpwire.fsm.session import Session


class Initiator(Enum):
    """Which side opened a TCP connection."""

    LOCAL = "local"
    REMOTE = "remote"


def resolve_collision(
    local_id: IPv4Address, remote_id: IPv4Address, local_as: int, remote_as: int
) -> Initiator:
    """Whose connection survives a collision.

    The connection initiated by the speaker with the higher BGP identifier (compared as
    unsigned integers, RFC 4271 §6.8); on equal identifiers, which RFC 6286 §2.3 allows between
    ASes, the one initiated by the speaker with the larger AS number.
    """
    if local_id != remote_id:
        return Initiator.LOCAL if int(local_id) > int(remote_id) else Initiator.REMOTE
    return Initiator.LOCAL if local_as > remote_as else Initiator.REMOTE


def collision_winner(existing: Session, incoming: Session) -> Session:
    """The session to keep of two for the same peer; close the other.

    ``incoming`` must have received the peer's OPEN (it is in OpenConfirm or later), since
    that is where the peer's identifier comes from. An ``existing`` session that is
    Established wins (RFC 4271 §6.8 closes the newer connection); one that has no connection
    yet (Idle, Connect, Active) loses without a collision to resolve.
    """
    negotiation = incoming.negotiation
    if negotiation is None:
        raise LocalProtocolError("the incoming session has not received the peer's OPEN yet")
    if existing.state is State.ESTABLISHED:
        return existing
    if existing.state in (State.IDLE, State.CONNECT, State.ACTIVE) and not existing.connected:
        return incoming
    config = incoming.config
    keep = resolve_collision(
        config.router_id, negotiation.peer_id, config.local_as, negotiation.peer_as)
    existing_side = Initiator.LOCAL if existing.outbound else Initiator.REMOTE
    incoming_side = Initiator.LOCAL if incoming.outbound else Initiator.REMOTE
    if existing_side == incoming_side:
        raise LocalProtocolError("both sessions were initiated by the same side")
    return existing if keep == existing_side else incoming
