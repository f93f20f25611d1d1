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
    RoutesNotSent,
    RoutesReceived,
    SpeakerEvent,
)
from bgpwire.speaker.originations import Origination
from bgpwire.speaker.speaker import Speaker
from bgpwire.speaker.spec import PeerSpec
from bgpwire.speaker.status import Capabilities, PeerStatus

__all__ = [
    "Capabilities",
    "EndOfRIB",
    "Origination",
    "PeerDown",
    "PeerNotificationReceived",
    "PeerNotificationSent",
    "PeerSpec",
    "PeerStatus",
    "PeerUp",
    "RoutesNotSent",
    "RoutesReceived",
    "Speaker",
    "SpeakerEvent",
]
