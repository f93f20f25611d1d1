"""Sessions in words: what status, logs and the demo say about a negotiated session."""

from __future__ import annotations

from bgpwire.fsm import Negotiation
from bgpwire.speaker.status import Capabilities


def capability_names(capabilities: Capabilities) -> tuple[str, ...]:
    """Families, then options in a fixed order, then the hold time: ``ipv4-unicast``,
    ``graceful-restart``, ``hold-time=90``..."""
    names = [family.name for family in capabilities.families]
    for present, name in ((capabilities.four_octet_as, "four-octet-as"),
                          (capabilities.route_refresh, "route-refresh"),
                          (capabilities.enhanced_route_refresh, "enhanced-route-refresh"),
                          (capabilities.extended_message, "extended-message"),
                          (capabilities.graceful_restart, "graceful-restart")):
        if present:
            names.append(name)
    names.append(f"hold-time={capabilities.hold_time}")
    return tuple(names)


def capabilities_of(negotiation: Negotiation) -> tuple[str, ...]:
    return capability_names(Capabilities.of(negotiation))
