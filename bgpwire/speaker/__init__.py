"""A BGP speaker holding many peers: :class:`Speaker`, configured per peer with :class:`PeerSpec`.

It is glue over :mod:`bgpwire.aio` (sessions and listeners), :mod:`bgpwire.fsm` and
:mod:`bgpwire.rib` (tables and export rules).
"""

from bgpwire.speaker.events import (
    EndOfRIB,
    PeerDown,
    PeerNotificationReceived,
    PeerNotificationSent,
    PeerUp,
    RoutesReceived,
    SpeakerEvent,
)
from bgpwire.speaker.originations import Origination
from bgpwire.speaker.speaker import PeerStatus, Speaker
from bgpwire.speaker.spec import PeerSpec

__all__ = [
    "EndOfRIB",
    "Origination",
    "PeerDown",
    "PeerNotificationReceived",
    "PeerNotificationSent",
    "PeerSpec",
    "PeerStatus",
    "PeerUp",
    "RoutesReceived",
    "Speaker",
    "SpeakerEvent",
]
