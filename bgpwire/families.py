"""Address families: the (AFI, SAFI) pairs that multiprotocol BGP is keyed by (RFC 4760)."""

from __future__ import annotations

from typing import NamedTuple

from bgpwire.constants import AFI, SAFI


class Family(NamedTuple):
    """An address family. Unknown AFI/SAFI values are kept as plain integers."""

    afi: int
    safi: int

    @classmethod
    def of(cls, afi: int, safi: int) -> Family:
        """Build a family, naming the AFI and SAFI where IANA does."""
        return cls(_named(AFI, afi), _named(SAFI, safi))

    @property
    def name(self) -> str:
        """``ipv4-unicast`` style, or ``afi-25-safi-70`` for codes without a name."""
        afi = AFI(self.afi).name.lower().replace("_", "-") if self.afi in _AFI_VALUES else None
        safi = SAFI(self.safi).name.lower().replace("_", "-") if self.safi in _SAFI_VALUES else None
        if afi is None or safi is None:
            return f"afi-{self.afi}-safi-{self.safi}"
        return f"{afi}-{safi}"

    @classmethod
    def from_name(cls, name: str) -> Family:
        """Inverse of :attr:`name`."""
        for family in KNOWN_FAMILIES:
            if family.name == name:
                return family
        parts = name.split("-")
        if len(parts) == 4 and parts[0] == "afi" and parts[2] == "safi":
            return cls.of(int(parts[1]), int(parts[3]))
        raise ValueError(f"unknown address family name {name!r}")

    def __str__(self) -> str:
        return self.name


_AFI_VALUES = frozenset(int(a) for a in AFI)
_SAFI_VALUES = frozenset(int(s) for s in SAFI)


def _named(enum: type[AFI] | type[SAFI], value: int) -> int:
    return enum(value) if value in enum._value2member_map_ else value


IPV4_UNICAST = Family(AFI.IPV4, SAFI.UNICAST)
IPV4_MULTICAST = Family(AFI.IPV4, SAFI.MULTICAST)
IPV6_UNICAST = Family(AFI.IPV6, SAFI.UNICAST)
IPV6_MULTICAST = Family(AFI.IPV6, SAFI.MULTICAST)

PREFIX_FAMILIES = frozenset({IPV4_UNICAST, IPV4_MULTICAST, IPV6_UNICAST, IPV6_MULTICAST})
"""Families whose NLRI are plain prefixes, decoded to ``ipaddress`` networks."""

KNOWN_FAMILIES = (IPV4_UNICAST, IPV4_MULTICAST, IPV6_UNICAST, IPV6_MULTICAST)
