"""Graceful Restart, receiving side (RFC 4724 §4.2, RFC 8538): which routes to keep, for how long.

When a session with a Graceful Restart peer goes down, the routes of the families the peer
listed are kept, marked stale (:meth:`AdjRibIn.mark_stale <bgpwire.rib.adj_in.AdjRibIn.
mark_stale>`), and the rest are dropped. These functions read that decision off the
:class:`~bgpwire.fsm.negotiate.Negotiation` of the session; time is a number handed in, as
everywhere below the I/O adapter.
"""

from __future__ import annotations

from collections.abc import Iterable

from bgpwire.constants import CeaseSubcode, ErrorCode
from bgpwire.families import Family
from bgpwire.fsm.negotiate import Negotiation
from bgpwire.messages import Notification
from bgpwire.messages.capabilities import GracefulRestartCapability

__all__ = ["restart_deadline", "retained_families", "unpreserved_families"]


def _capability(negotiation: Negotiation, local: bool) -> GracefulRestartCapability | None:
    open_ = negotiation.local if local else negotiation.remote
    return open_.capability(GracefulRestartCapability)


def retained_families(
    negotiation: Negotiation, notification: Notification | None = None
) -> tuple[Family, ...]:
    """The families whose routes to keep as stale when this session ends.

    Those both sides negotiated that the peer listed in its Graceful Restart capability
    (RFC 4724 §4.2), provided we announced the capability too. A session ended by a
    NOTIFICATION (sent or received, ``notification``) keeps routes only when both sides set the
    N bit and it was not a Hard Reset (RFC 8538 §4); the others are dropped as usual.
    """
    theirs = _capability(negotiation, local=False)
    ours = _capability(negotiation, local=True)
    if theirs is None or ours is None:
        return ()
    if notification is not None:
        hard = (notification.code == ErrorCode.CEASE
                and notification.subcode == CeaseSubcode.HARD_RESET)
        if hard or not (theirs.notification and ours.notification):
            return ()
    listed = {entry.family for entry in theirs.families}
    return tuple(family for family in negotiation.families if family in listed)


def restart_deadline(negotiation: Negotiation, now: float) -> float | None:
    """When to give up waiting for the peer and sweep its stale routes, or ``None`` without GR.

    The Restart Time the peer announced, counted from the moment the session went down
    (RFC 4724 §4.2).
    """
    theirs = _capability(negotiation, local=False)
    return None if theirs is None else now + theirs.restart_time


def unpreserved_families(
    negotiation: Negotiation, stale: Iterable[Family]
) -> tuple[Family, ...]:
    """Of the ``stale`` families, those to sweep at once on the re-established session.

    RFC 4724 §4.2: a family missing from the peer's new Graceful Restart capability, or listed
    without the Forwarding State bit, lost its forwarding state, so its stale routes go now
    rather than at End-of-RIB.
    """
    theirs = _capability(negotiation, local=False)
    kept = set() if theirs is None else {
        entry.family for entry in theirs.families if entry.forwarding_state}
    return tuple(family for family in stale if family not in kept)
