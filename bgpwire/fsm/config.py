"""How one BGP peering is configured: the session attributes of RFC 4271 §8.

Timer defaults follow RFC 4271 §10 (ConnectRetry 120 s, HoldTime 90 s, keepalive a third of the
hold time) and RFC 9687 §3 (SendHoldTime: the larger of 8 minutes and twice the negotiated hold
time). ConnectRetry is 120 s as the RFC suggests, not the 30 s some daemons use: a peer that is
down is not helped by being called four times as often, and the adapter may pass a smaller value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address

from bgpwire.constants import BGPRole, CapabilityCode
from bgpwire.errors import LocalProtocolError
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpwire.messages.capabilities import AddPathMode, Capability

MIN_SEND_HOLD_TIME = 480.0
"""RFC 9687 §3: the SendHoldTime is never below 8 minutes by default."""

DEFAULT_OPEN_HOLD_TIME = 240.0
"""The hold timer while waiting for the peer's OPEN: RFC 4271 §8.2.2 suggests 4 minutes."""

MAX_AS = 0xFFFFFFFF
MAX_HOLD_TIME = 0xFFFF


@dataclass(frozen=True, slots=True)
class GracefulRestartConfig:
    """What our Graceful Restart capability says (RFC 4724 §3, RFC 8538 §2).

    ``restarting`` sets the R bit; ``forwarding_state`` lists the families whose forwarding
    state survived our restart (the F bit). Every configured family is listed in the capability.
    """

    restart_time: int = 120
    restarting: bool = False
    notification: bool = True
    forwarding_state: frozenset[Family] = frozenset()

    def __post_init__(self) -> None:
        if not 0 <= self.restart_time <= 0xFFF:
            _refuse("graceful_restart.restart_time", self.restart_time, "is outside 0..4095")


@dataclass(frozen=True, slots=True)
class PeerConfig:
    """One peer's configuration; validated on construction (an invalid one cannot exist).

    * ``peer_as`` ``None`` accepts any AS (a speaker accepting a range checks it itself).
    * ``hold_time`` is 0 (no keepalives, no hold timer) or at least 3 (RFC 4271 §4.2).
    * ``keepalive_time`` ``None`` sends a KEEPALIVE every third of the negotiated hold time
      (RFC 4271 §10). A value (at least 1 s, RFC 4271 §4.4, and at most ``hold_time``; 0 with a
      hold time of 0) is used while it does not exceed that third; a peer that negotiates a
      shorter hold time brings it down to a third of it, as FRR does, so the peer's hold timer
      never expires between two KEEPALIVEs. See :meth:`keepalive_for`.
    * ``passive`` never initiates a connection: started, it waits in Active.
    * ``delay_open_time`` 0 sends OPEN as soon as the connection is up; otherwise the session
      waits that long for the peer's OPEN first (RFC 4271 §8.1.1, DelayOpen).
    * ``auto_restart``: after a failure (not after :meth:`Session.stop`) the session restarts
      itself once the IdleHoldTimer expires. That timer starts at ``idle_hold_time`` and
      doubles with each failure that did not reach Established, up to ``idle_hold_time_max``
      (RFC 4271 §8.1.1, DampPeerOscillations).
    * ``send_hold_time`` ``None`` means the RFC 9687 default, computed from the negotiated hold
      time; 0 disables the SendHoldTimer.
    * ``open_hold_time``: how long OpenSent waits for the peer's OPEN before Hold Timer Expired.
      RFC 4271 §8.2.2 suggests 4 minutes; a smaller value frees a connection that never sends
      its OPEN sooner.
    * ``jitter``: ConnectRetry, Keepalive and IdleHold intervals are multiplied by a factor in
      0.75..1.0 (RFC 4271 §10). The random source is given to the Session, not stored here.
    * ``add_path``: (family, mode) pairs; each family must be in ``families``.
    * ``role`` / ``role_strict``: RFC 9234; strict refuses a peer that sends no role.
    * ``required_capabilities``: a :class:`CapabilityCode` requires any capability of that code,
      a :class:`Capability` requires that very capability (for Multiprotocol: that family).
      Missing ones end the session with Unsupported Capability (RFC 5492 §5).
    * ``extra_capabilities`` are sent as given, after the ones built from the fields above.
    """

    local_as: int
    peer_as: int | None
    router_id: IPv4Address
    hold_time: int = 90
    keepalive_time: float | None = None
    connect_retry_time: float = 120.0
    families: tuple[Family, ...] = (IPV4_UNICAST, IPV6_UNICAST)
    passive: bool = False
    delay_open_time: float = 0.0
    auto_restart: bool = True
    idle_hold_time: float = 5.0
    idle_hold_time_max: float = 300.0
    send_hold_time: float | None = None
    open_hold_time: float = DEFAULT_OPEN_HOLD_TIME
    jitter: bool = True
    add_path: tuple[tuple[Family, AddPathMode], ...] = ()
    extended_message: bool = False
    route_refresh: bool = True
    enhanced_route_refresh: bool = False
    graceful_restart: GracefulRestartConfig | None = None
    role: BGPRole | None = None
    role_strict: bool = False
    required_capabilities: tuple[Capability | CapabilityCode, ...] = ()
    extra_capabilities: tuple[Capability, ...] = field(default=())

    def __post_init__(self) -> None:
        if not 1 <= self.local_as <= MAX_AS:
            _refuse("local_as", self.local_as, "is outside 1..4294967295 (RFC 7607)")
        if self.peer_as is not None and not 1 <= self.peer_as <= MAX_AS:
            _refuse("peer_as", self.peer_as, "is outside 1..4294967295 (RFC 7607)")
        if not isinstance(self.router_id, IPv4Address) or int(self.router_id) == 0:
            _refuse("router_id", self.router_id, "must be a non-zero IPv4Address (RFC 6286)")
        if self.hold_time in (1, 2) or not 0 <= self.hold_time <= MAX_HOLD_TIME:
            _refuse("hold_time", self.hold_time, "must be 0 or 3..65535 (RFC 4271 §4.2)")
        if self.keepalive_time is not None:
            self._check_keepalive_time(self.keepalive_time)
        if self.connect_retry_time <= 0:
            _refuse("connect_retry_time", self.connect_retry_time, "must be positive")
        for name in ("delay_open_time", "idle_hold_time"):
            if getattr(self, name) < 0:
                _refuse(name, getattr(self, name), "must not be negative")
        if self.idle_hold_time_max < self.idle_hold_time:
            _refuse("idle_hold_time_max", self.idle_hold_time_max, "is below idle_hold_time")
        if not self.open_hold_time > 0:
            _refuse("open_hold_time", self.open_hold_time, "must be positive")
        if self.send_hold_time is not None and self.send_hold_time < 0:
            _refuse("send_hold_time", self.send_hold_time, "must not be negative")
        if not self.families or len(set(self.families)) != len(self.families):
            _refuse("families", self.families, "must be non-empty without repeats")
        for family, mode in self.add_path:
            if family not in self.families:
                _refuse("add_path", family, "is not one of the configured families")
            if mode not in AddPathMode._value2member_map_:
                _refuse("add_path", mode, "is not an AddPathMode")
        if self.enhanced_route_refresh and not self.route_refresh:
            _refuse("enhanced_route_refresh", True, "needs route_refresh (RFC 7313 §3.1)")
        if self.role_strict and self.role is None:
            _refuse("role_strict", True, "needs a role (RFC 9234 §4.2)")

    def _check_keepalive_time(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            _refuse("keepalive_time", value, "is not a number of seconds")
        if value > self.hold_time:
            _refuse("keepalive_time", value, f"exceeds hold_time {self.hold_time}")
        if self.hold_time and value < 1:
            _refuse("keepalive_time", value, "must be at least 1 s (RFC 4271 §4.4)")
        if value < 0:
            _refuse("keepalive_time", value, "must not be negative")

    def keepalive_for(self, negotiated_hold_time: int) -> float:
        """The KEEPALIVE interval of a session that negotiated ``negotiated_hold_time``.

        0 (no KEEPALIVEs) when the hold time is 0; otherwise a third of it, or the configured
        ``keepalive_time`` when that is shorter.
        """
        if not negotiated_hold_time:
            return 0.0
        third = negotiated_hold_time / 3
        if self.keepalive_time is None:
            return third
        return min(float(self.keepalive_time), third)

    def send_hold_time_for(self, negotiated_hold_time: int) -> float:
        """The SendHoldTime to run once ``negotiated_hold_time`` is known (RFC 9687 §3)."""
        if self.send_hold_time is not None:
            return self.send_hold_time
        return max(MIN_SEND_HOLD_TIME, 2.0 * negotiated_hold_time)

    def idle_hold_delay(self, failures: int) -> float:
        """The IdleHold interval after ``failures`` consecutive failures (before jitter)."""
        if failures <= 1:
            return self.idle_hold_time
        return min(self.idle_hold_time * 2.0 ** min(failures - 1, 64), self.idle_hold_time_max)


def _refuse(name: str, value: object, reason: str) -> None:
    raise LocalProtocolError(f"PeerConfig.{name} = {value!r} {reason}")
