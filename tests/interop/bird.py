"""BIRD 2: ``strict bind`` to its own addresses, control socket in the work dir, text parsing."""

from __future__ import annotations

import re
from ipaddress import ip_address
from typing import ClassVar

from tests.interop.daemons import BGPWIRE_AS, MED, Daemon, LabDaemon, Plan
from tests.interop.procs import RibEntry, run_cli

ACTIVE_PEER_HOST = 53
"""BIRD connects to bgpwire's Listener at this address (connect delay/retry 1 s)."""

CONNECT_SOON = "  connect delay time 1;\n  connect retry time 1;\n  error wait time 1, 2;\n"
"""BIRD's first connect comes 5 s after start by default; these bring it to about 1 s."""

PROTOCOL_V6 = "bw6"
PROTOCOL_ACTIVE = "bwl"

_PREFIX_LINE = re.compile(r"^(\S+/\d+)\s+\S+\s+\[(\S+)")
_ALT_LINE = re.compile(r"^\s+\S+\s+\[(\S+)\s")


class BIRD(Daemon):
    """BIRD with one BGP protocol per neighbor: a passive neighbor connects to BIRD, BIRD
    connects to the others (and accepts them too)."""

    name: ClassVar[str] = "bird"
    binaries: ClassVar[tuple[str, ...]] = ("bird", "birdc")

    @property
    def control(self) -> str:
        return str(self.workdir / "bird.ctl")

    def argv(self) -> list[str]:
        return ["bird", "-f", "-c", str(self.workdir / "bird.conf"), "-s", self.control,
                "-P", str(self.workdir / "bird.pid")]

    def protocols(self) -> dict[str, str]:
        """BGP protocol name by neighbor address."""
        return {peer.address: f"p{index}" for index, peer in enumerate(self.neighbors)}

    def protocol_for(self, neighbor: str) -> str:
        return self.protocols()[neighbor]

    def write_config(self) -> None:
        text = f"log stderr all;\nrouter id {self.address4};\nprotocol device {{ }}\n"
        for peer in self.neighbors:
            # BIRD refuses a loopback neighbor on a direct session ("Invalid remote address":
            # it is host scope), and a multihop session cannot take gateway direct: next hops
            # then resolve recursively, and with no route to them the routes show unreachable.
            loopback = ip_address(peer.address).is_loopback
            gateway = "" if loopback else " gateway direct;"
            port = "" if peer.passive else f" port {peer.port}"
            text += (f"protocol bgp {self.protocol_for(peer.address)} {{\n"
                     f"  local {self.local_for(peer)} as {self.asn};\n"
                     f"  neighbor {peer.address}{port} as {peer.asn};\n"
                     "  strict bind yes;\n"
                     + ("  passive on;\n" if peer.passive else CONNECT_SOON)
                     + ("  multihop;\n" if loopback else "  direct;\n")
                     + ("  graceful restart on;\n" if self.graceful_restart else "")
                     + f"  ipv4 {{ import all; export none;{gateway} }};\n"
                     f"  ipv6 {{ import all; export none;{gateway} }};\n}}\n")
        (self.workdir / "bird.conf").write_text(text)

    # --- queries ------------------------------------------------------------------------------

    def birdc(self, *command: str) -> str:
        return run_cli(["birdc", "-s", self.control, *command])

    def established(self, neighbor: str) -> bool:
        return "Established" in self.birdc("show", "protocols", self.protocol_for(neighbor))

    def entries(self, afi: str, neighbor: str) -> dict[str, RibEntry]:
        table = "master4" if afi == "ipv4" else "master6"
        return parse_routes(self.birdc("show", "route", "all", "table", table,
                                       "protocol", self.protocol_for(neighbor)))


def parse_routes(text: str) -> dict[str, RibEntry]:
    """``show route all`` output, one entry per prefix (the first route listed)."""
    result: dict[str, RibEntry] = {}
    prefix: str | None = None
    fields: dict[str, str] = {}

    def flush() -> None:
        if prefix is None or prefix in result:
            return
        local_pref = fields.get("BGP.local_pref")
        result[prefix] = RibEntry(
            prefix=prefix,
            next_hop=(fields.get("BGP.next_hop", "").split() or [""])[0],
            as_path=tuple(int(a) for a in fields.get("BGP.as_path", "").split()),
            med=int(fields["BGP.med"]) if "BGP.med" in fields else None,
            communities=frozenset(
                f"{a}:{b}" for a, b in re.findall(r"\((\d+),\s*(\d+)\)",
                                                  fields.get("BGP.community", ""))),
            large_communities=frozenset(
                f"{a}:{b}:{c}" for a, b, c in re.findall(
                    r"\((\d+),\s*(\d+),\s*(\d+)\)", fields.get("BGP.large_community", ""))),
            local_pref=int(local_pref) if local_pref else None,
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


class LabBIRD(LabDaemon, BIRD):
    """The shared lab's BIRD: a protocol for each of bgpwire's addresses, one that connects to
    bgpwire's Listener, and routes of its own (static) to originate."""

    plan: ClassVar[Plan] = Plan(asn=65004, daemon_host=23, peer_host=13, index=4)

    @property
    def active_peer(self) -> str:
        return self.host4(ACTIVE_PEER_HOST)

    def protocols(self) -> dict[str, str]:
        names = {address: f"bw{slot}" for slot, address in enumerate(self.slots4)}
        return {**names, self.peer6: PROTOCOL_V6, self.active_peer: PROTOCOL_ACTIVE}

    def originate(self, *families: str) -> str:
        """Static routes of ``families`` ("4", "6") and filter ``originated``, which exports
        them with the lab's MED and communities."""
        asn = self.plan.asn
        prefixes = {"4": self.originated4, "6": self.originated6}
        statics = "".join(f"protocol static s{family} {{ ipv{family}; "
                          f"route {prefixes[family]} blackhole; }}\n" for family in families)
        return f"""{statics}filter originated {{
  if source != RTS_STATIC then reject;
  bgp_med = {MED};
  bgp_community.add(({asn}, 7));
  bgp_large_community.add(({asn}, 7, 7));
  accept;
}}
"""

    def write_config(self) -> None:
        me4, me6, asn = self.address4, self.address6, self.plan.asn
        text = f"""
log stderr all;
router id {me4};
protocol device {{ }}
{self.originate("4", "6")}protocol bgp {PROTOCOL_V6} {{
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
