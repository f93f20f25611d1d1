"""What the checks of :mod:`.validate` share: where problems are collected, and IP parsing
that tells a bad address from a good one without raising."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from bgpwire_announcer.model import Origin, Problem

FAMILY_NAMES = {4: "IPv4", 6: "IPv6"}


class ProblemReport:
    """The problems found so far; each names every object involved, sorted."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, origins: Iterable[Origin], field: str, value: object, reason: str) -> None:
        refs = tuple(sorted({origin.ref for origin in origins}))
        self.problems.append(Problem(refs, field, "" if value is None else str(value), reason))



def ip_or_none(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
