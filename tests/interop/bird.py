"""BIRD 2: ``strict bind`` to its own addresses, control socket in the work dir, text parsing."""

from __future__ import annotations

import re
from typing import ClassVar

from tests.interop.daemons import BGPWIRE_AS, MED, Daemon, Plan
from tests.interop.procs import RibEntry, run_cli

ACTIVE_PEER_HOST = 53
"""BIRD connects to bgpwire's Listener at this address (connect delay/retry 1 s)."""

PROTOCOL_V6 = "bw6"
PROTOCOL_ACTIVE = "bwl"

_PREFIX_LINE = re.compile(r"^(\S+/\d+)\s+\S+\s+\[(\S+)")
_ALT_LINE = re.compile(r"^\s+\S+\s+\[(\S+)\s")


class BIRD(Daemon):
    name: ClassVar[str] = "bird"
    plan: ClassVar[Plan] = Plan(asn=65004, daemon_host=23, peer_host=13, index=4)

    @property
    def originated6_next_hop(self) -> str:
        return self.address6  # "next hop address" in the ipv6 channel

    @property
    def active_peer(self) -> str:
        return self.host4(ACTIVE_PEER_HOST)

    @property
    def control(self) -> str:
        return str(self.workdir / "bird.ctl")

    def argv(self) -> list[str]:
        return ["bird", "-f", "-c", str(self.workdir / "bird.conf"), "-s", self.control,
                "-P", str(self.workdir / "bird.pid")]

    def protocols(self) -> dict[str, str]:
        """BGP protocol name by bgpwire neighbor address."""
        names = {address: f"bw{slot}" for slot, address in enumerate(self.slots4)}
        return {**names, self.peer6: PROTOCOL_V6, self.active_peer: PROTOCOL_ACTIVE}

    def protocol_for(self, neighbor: str) -> str:
        return self.protocols()[neighbor]

    def write_config(self) -> None:
        me4, me6, asn = self.address4, self.address6, self.plan.asn
        text = f"""
log stderr all;
router id {me4};
protocol device {{ }}
protocol static s4 {{ ipv4; route {self.originated4} blackhole; }}
protocol static s6 {{ ipv6; route {self.originated6} blackhole; }}
filter originated {{
  if source != RTS_STATIC then reject;
  bgp_med = {MED};
  bgp_community.add(({asn}, 7));
  bgp_large_community.add(({asn}, 7, 7));
  accept;
}}
protocol bgp {PROTOCOL_V6} {{
  local {me6} as {asn};
  neighbor {self.peer6} as {BGPWIRE_AS};
  strict bind yes;
  passive on;
  ipv4 {{ import all; export none; }};
  ipv6 {{ import all; export filter originated; }};
}}
protocol bgp {PROTOCOL_ACTIVE} {{
  local {me4} as {asn};
  neighbor {self.active_peer} as {BGPWIRE_AS};
  strict bind yes;
  connect delay time 1;
  connect retry time 1;
  error wait time 1, 2;
  ipv4 {{ import all; export filter originated; }};
}}
"""
        for address in self.slots4:
            text += f"""protocol bgp {self.protocol_for(address)} {{
  local {me4} as {asn};
  neighbor {address} as {BGPWIRE_AS};
  strict bind yes;
  passive on;
  ipv4 {{ import all; export filter originated; }};
  ipv6 {{ import all; export filter originated; next hop address {me6}; }};
}}
"""
        (self.workdir / "bird.conf").write_text(text)

    # --- queries ------------------------------------------------------------------------------

    def birdc(self, *command: str) -> str:
        return run_cli(["birdc", "-s", self.control, *command])

    def established(self, neighbor: str) -> bool:
        out = self.birdc("show", "protocols", self.protocol_for(neighbor))
        return "Established" in out

    def routes(self, afi: str, neighbor: str) -> dict[str, RibEntry]:
        table = "master4" if afi == "ipv4" else "master6"
        out = self.birdc("show", "route", "all", "table", table,
                         "protocol", self.protocol_for(neighbor))
        return parse_routes(out)


def parse_routes(text: str) -> dict[str, RibEntry]:
    """``show route all`` output, one entry per prefix (the first route listed)."""
    result: dict[str, RibEntry] = {}
    prefix: str | None = None
    fields: dict[str, str] = {}

    def flush() -> None:
        if prefix is not None and prefix not in result:
            result[prefix] = RibEntry(
                prefix=prefix,
                next_hop=fields.get("BGP.next_hop", "").split()[0] if fields.get(
                    "BGP.next_hop") else "",
                as_path=tuple(int(a) for a in fields.get("BGP.as_path", "").split()),
                med=int(fields["BGP.med"]) if "BGP.med" in fields else None,
                communities=frozenset(
                    f"{a}:{b}" for a, b in re.findall(r"\((\d+),\s*(\d+)\)",
                                                      fields.get("BGP.community", ""))),
                large_communities=frozenset(
                    f"{a}:{b}:{c}" for a, b, c in re.findall(
                        r"\((\d+),\s*(\d+),\s*(\d+)\)", fields.get("BGP.large_community", ""))),
            )

    for line in text.splitlines():
        head = _PREFIX_LINE.match(line)
        if head is not None:
            flush()
            prefix, fields = head.group(1), {}
            continue
        if _ALT_LINE.match(line) and prefix is not None:
            flush()
            fields = {}
            continue
        key, sep, value = line.strip().partition(":")
        if sep and key.startswith("BGP."):
            fields[key] = value.strip()
    flush()
    return result
