"""The asyncio speaker: the only part of bgpwire that does I/O.

* :class:`PeerSession` runs one peering (a :class:`bgpwire.fsm.Session`) over TCP.
* :class:`Listener` accepts connections and hands them to the right :class:`PeerSession`.
* :class:`TransportOptions` sets the socket up (source address, TCP-MD5, TTL, GTSM);
  :mod:`bgpwire.aio.sockopts` has the Linux socket options as small functions.
"""

from bgpwire.aio.listener import Listener
from bgpwire.aio.options import BGP_PORT, TransportOptions
from bgpwire.aio.session import PeerSession

__all__ = ["BGP_PORT", "Listener", "PeerSession", "TransportOptions"]
