"""GoBGP: gobgpd with its gRPC API on a Unix socket, queried with ``gobgp -j``."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from tests.interop.daemons import BGPWIRE_AS, MED, Daemon, Plan
from tests.interop.procs import RibEntry, run_cli, wait_for

ESTABLISHED = 6


class GoBGP(Daemon):
    name: ClassVar[str] = "gobgp"
    plan: ClassVar[Plan] = Plan(asn=65002, daemon_host=22, peer_host=12, index=2)

    @property
    def socket(self) -> str:
        return f"unix://{self.workdir / 'gobgpd.sock'}"

    @property
    def originated6_next_hop(self) -> str:
        return self.address6  # the next hop given to `global rib add`

    def argv(self) -> list[str]:
        return ["gobgpd", "-f", str(self.workdir / "gobgpd.toml"), "-t", "toml",
                "--api-hosts", self.socket, "--pprof-disable", "-p"]

    def write_config(self) -> None:
        parts = [
            "[global.config]",
            f"  as = {self.plan.asn}",
            f'  router-id = "{self.address4}"',
            "  port = 179",
            f'  local-address-list = ["{self.address4}", "{self.address6}"]',
        ]
        sessions = [(self.peer6, self.address6), *((a, self.address4) for a in self.slots4)]
        for neighbor, local in sessions:
            parts += [
                "[[neighbors]]",
                "  [neighbors.config]",
                f'    neighbor-address = "{neighbor}"',
                f"    peer-as = {BGPWIRE_AS}",
                "  [neighbors.transport.config]",
                f'    local-address = "{local}"',
                "    passive-mode = true",
                "  [neighbors.timers.config]",
                "    idle-hold-time-after-reset = 1",
            ]
            for family in ("ipv4-unicast", "ipv6-unicast"):
                parts += ["  [[neighbors.afi-safis]]",
                          "    [neighbors.afi-safis.config]",
                          f'      afi-safi-name = "{family}"']
        (self.workdir / "gobgpd.toml").write_text("\n".join(parts) + "\n")

    def start(self) -> None:
        super().start()
        wait_for("gobgp API", lambda: self.cli("global") is not None, self.process)
        for afi, prefix, hop in (("ipv4", self.originated4, self.address4),
                                 ("ipv6", self.originated6, self.address6)):
            self.cli("global", "rib", "add", "-a", afi, prefix, "nexthop", hop,
                     "med", str(MED), "community", self.community,
                     "large-community", self.large_community, json_out=False)

    # --- queries ------------------------------------------------------------------------------

    def cli(self, *args: str, json_out: bool = True) -> Any:
        argv = ["gobgp", "--target", self.socket, *args]
        out = run_cli([*argv, "-j"] if json_out else argv)
        return json.loads(out) if json_out and out.strip() else out

    def established(self, neighbor: str) -> bool:
        info = self.cli("neighbor", neighbor)
        return bool(info.get("state", {}).get("session_state") == ESTABLISHED)

    def routes(self, afi: str, neighbor: str) -> dict[str, RibEntry]:
        table = self.cli("neighbor", neighbor, "adj-in", "-a", afi)
        result: dict[str, RibEntry] = {}
        for prefix, paths in (table or {}).items():
            for path in paths:
                result[prefix] = _entry(prefix, path)
        return result


def _entry(prefix: str, path: dict[str, Any]) -> RibEntry:
    asns: tuple[int, ...] = ()
    next_hop = ""
    med = None
    communities: frozenset[str] = frozenset()
    large: frozenset[str] = frozenset()
    for attr in path.get("attrs", []):
        kind = attr.get("type")
        if kind == 2:
            asns = tuple(asn for seg in attr.get("as_paths", []) for asn in seg.get("asns", []))
        elif kind == 3:
            next_hop = str(attr["nexthop"])
        elif kind == 4:
            med = int(attr["metric"])
        elif kind == 8:
            communities = frozenset(f"{c >> 16}:{c & 0xFFFF}" for c in attr["communities"])
        elif kind == 14:
            next_hop = str(attr.get("nexthop", ""))
        elif kind == 32:
            large = frozenset(f"{v['ASN']}:{v['LocalData1']}:{v['LocalData2']}"
                              for v in attr["value"])
    return RibEntry(prefix, next_hop, asns, med, communities, large)
