"""FRR bgpd, standalone: no zebra (-Z), no FIB (-n), stays root (-S), its own vty socket dir."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from tests.interop.daemons import BGPWIRE_AS, MED, Daemon, Plan
from tests.interop.procs import RibEntry, run_cli

BGPD = "/usr/lib/frr/bgpd"
MD5_PASSWORD = "bwi-md5-secret"
WRONG_AS = 65099
MD5_PEER_HOST = 31
BAD_AS_PEER_HOST = 41
WRONG_AS_PEER_HOST = 71
"""bgpwire expects the wrong AS from FRR here (FRR itself is configured correctly)."""
ACTIVE_PEER_HOST = 51
"""FRR connects to bgpwire's Listener at this address (connect retry 1 s)."""


class FRR(Daemon):
    name: ClassVar[str] = "frr"
    plan: ClassVar[Plan] = Plan(asn=65003, daemon_host=21, peer_host=11, index=3)

    @property
    def originated6_next_hop(self) -> str:
        return self.address6  # set by the outbound route-map (FRR without zebra knows none)

    @property
    def md5_peer(self) -> str:
        return self.host4(MD5_PEER_HOST)

    @property
    def bad_as_peer(self) -> str:
        return self.host4(BAD_AS_PEER_HOST)

    @property
    def wrong_as_peer(self) -> str:
        return self.host4(WRONG_AS_PEER_HOST)

    @property
    def active_peer(self) -> str:
        return self.host4(ACTIVE_PEER_HOST)

    def argv(self) -> list[str]:
        return [BGPD, "-f", str(self.workdir / "bgpd.conf"), "-i", str(self.workdir / "bgpd.pid"),
                "--vty_socket", str(self.workdir), "-S", "-Z", "-n", "-P", "0",
                "-l", self.address4, "-l", self.address6, "--log", "stdout"]

    def write_config(self) -> None:
        me4, me6 = self.address4, self.address6
        lines = [
            "frr defaults traditional",
            "hostname bwi-frr",
            "log stdout informational",
            "!",
            "route-map ORIGINATE permit 10",
            f" set metric {MED}",
            f" set community {self.community}",
            f" set large-community {self.large_community}",
            "exit",
            "route-map V6NH permit 10",
            f" set ipv6 next-hop global {me6}",
            "exit",
            "!",
            f"router bgp {self.plan.asn}",
            f" bgp router-id {me4}",
            " no bgp ebgp-requires-policy",
            " no bgp default ipv4-unicast",
            " no bgp network import-check",
        ]
        bgpwire = [self.peer6, *self.slots4, self.wrong_as_peer]
        neighbors: list[tuple[str, int, list[str]]] = [
            *((a, BGPWIRE_AS, ["passive", f"update-source {me6 if ':' in a else me4}"])
              for a in bgpwire),
            (self.md5_peer, BGPWIRE_AS, ["passive", f"password {MD5_PASSWORD}"]),
            (self.bad_as_peer, WRONG_AS, ["passive"]),
            (self.active_peer, BGPWIRE_AS, [f"update-source {me4}", "timers connect 1"]),
        ]
        for address, asn, options in neighbors:
            lines.append(f" neighbor {address} remote-as {asn}")
            lines.extend(f" neighbor {address} {option}" for option in options)
        lines += [" address-family ipv4 unicast",
                  f"  network {self.originated4} route-map ORIGINATE"]
        lines.extend(f"  neighbor {address} activate" for address, _, _ in neighbors)
        lines += [" exit-address-family",
                  " address-family ipv6 unicast",
                  f"  network {self.originated6} route-map ORIGINATE"]
        for address in bgpwire:
            lines.append(f"  neighbor {address} activate")
            lines.append(f"  neighbor {address} route-map V6NH out")
        lines += [" exit-address-family", "exit", "!", ""]
        (self.workdir / "bgpd.conf").write_text("\n".join(lines))

    # --- queries ------------------------------------------------------------------------------

    def vtysh(self, command: str) -> Any:
        out = run_cli(["vtysh", "--vty_socket", str(self.workdir), "-d", "bgpd", "-c", command])
        if not out.strip():
            raise ValueError(f"vtysh {command!r}: empty output")
        return json.loads(out)

    def neighbor_state(self, neighbor: str) -> str:
        info = self.vtysh(f"show bgp neighbors {neighbor} json").get(neighbor, {})
        return str(info.get("bgpState", "?"))

    def established(self, neighbor: str) -> bool:
        return self.neighbor_state(neighbor) == "Established"

    def routes(self, afi: str, neighbor: str) -> dict[str, RibEntry]:
        # The per-neighbor table lacks communities: look each prefix up in detail.
        table = self.vtysh(f"show bgp {afi} unicast neighbors {neighbor} routes json")
        result: dict[str, RibEntry] = {}
        for prefix in table.get("routes", {}):
            detail = self.vtysh(f"show bgp {afi} unicast {prefix} json")
            for path in detail.get("paths", []):
                if path.get("peer", {}).get("peerId") == neighbor:
                    entry = _entry(prefix, path)
                    if entry is not None:
                        result[prefix] = entry
        return result


def _entry(prefix: str, path: dict[str, Any]) -> RibEntry | None:
    if not path.get("valid"):
        return None
    segments = path.get("aspath", {}).get("segments", [])
    asns = tuple(int(asn) for segment in segments for asn in segment.get("list", []))
    hops = path.get("nexthops", [])
    community = path.get("community", {}).get("string", "")
    large = path.get("largeCommunity", {}).get("string", "")
    return RibEntry(
        prefix=prefix,
        next_hop=str(hops[0]["ip"]) if hops else "",
        as_path=asns,
        med=int(path["metric"]) if "metric" in path else None,
        communities=frozenset(community.split()),
        large_communities=frozenset(large.split()),
    )
