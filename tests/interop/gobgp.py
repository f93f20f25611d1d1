"""GoBGP: gobgpd with its gRPC API on a Unix socket, queried with ``gobgp -j``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from tests.interop.daemons import BGPWIRE_AS, MED, Daemon, LabDaemon, Neighbor, Plan
from tests.interop.netns import Topology
from tests.interop.procs import RibEntry, run_cli, wait_for

ESTABLISHED = 6


class GoBGP(Daemon):
    """gobgpd: a passive neighbor connects to it, it connects to the others (and accepts them
    too)."""

    name: ClassVar[str] = "gobgp"
    binaries: ClassVar[tuple[str, ...]] = ("gobgpd", "gobgp")

    @property
    def socket(self) -> str:
        return f"unix://{self.workdir / 'gobgpd.sock'}"

    def argv(self) -> list[str]:
        return ["gobgpd", "-f", str(self.workdir / "gobgpd.toml"), "-t", "toml",
                "--api-hosts", self.socket, "--pprof-disable", "-p"]

    def write_config(self) -> None:
        locals_ = ", ".join(f'"{address}"' for address in self.own_addresses)
        parts = ["[global.config]", f"  as = {self.asn}", f'  router-id = "{self.address4}"',
                 "  port = 179", f"  local-address-list = [{locals_}]"]
        for peer in self.neighbors:
            parts += ["[[neighbors]]", "  [neighbors.config]",
                      f'    neighbor-address = "{peer.address}"', f"    peer-as = {peer.asn}",
                      "  [neighbors.transport.config]",
                      f'    local-address = "{self.local_for(peer)}"']
            if peer.passive:
                parts += ["    passive-mode = true", "  [neighbors.timers.config]"]
            else:
                # Only the retries: the first connect still waits 5-10 s (not configurable).
                parts += [f"    remote-port = {peer.port}", "  [neighbors.timers.config]",
                          "    connect-retry = 1"]
            parts.append("    idle-hold-time-after-reset = 1")
            if self.graceful_restart:
                parts += ["  [neighbors.graceful-restart.config]", "    enabled = true",
                          "    restart-time = 120"]
            for family in ("ipv4-unicast", "ipv6-unicast"):
                parts += ["  [[neighbors.afi-safis]]", "    [neighbors.afi-safis.config]",
                          f'      afi-safi-name = "{family}"']
                if self.graceful_restart:
                    parts += ["    [neighbors.afi-safis.mp-graceful-restart.config]",
                              "      enabled = true"]
        (self.workdir / "gobgpd.toml").write_text("\n".join(parts) + "\n")

    def start(self) -> None:
        """Returns once the API answers (the CLI fails before)."""
        super().start()
        wait_for("gobgp API", lambda: self.cli("global") is not None, self.process)

    # --- queries ------------------------------------------------------------------------------

    def cli(self, *args: str, json_out: bool = True) -> Any:
        """``gobgp`` with ``args``: its JSON (``None`` for no output), or its text."""
        argv = ["gobgp", "--target", self.socket, *args]
        if not json_out:
            return run_cli(argv)
        out = run_cli([*argv, "-j"])
        return json.loads(out) if out.strip() else None

    def established(self, neighbor: str) -> bool:
        info = self.cli("neighbor", neighbor) or {}
        return bool(info.get("state", {}).get("session_state") == ESTABLISHED)

    def entries(self, afi: str, neighbor: str) -> dict[str, RibEntry]:
        table = self.cli("neighbor", neighbor, "adj-in", "-a", afi) or {}
        return {prefix: _entry(prefix, paths[0]) for prefix, paths in table.items() if paths}


def _entry(prefix: str, path: dict[str, Any]) -> RibEntry:
    asns: tuple[int, ...] = ()
    next_hop = ""
    med = local_pref = None
    communities: frozenset[str] = frozenset()
    large: frozenset[str] = frozenset()
    for attr in path.get("attrs", []):
        kind = attr.get("type")
        if kind == 2:
            asns = tuple(asn for seg in attr.get("as_paths", []) for asn in seg.get("asns", []))
        elif kind in (3, 14):
            next_hop = str(attr.get("nexthop", ""))
        elif kind == 4:
            med = int(attr["metric"])
        elif kind == 5:
            local_pref = int(attr["value"])
        elif kind == 8:
            communities = frozenset(f"{c >> 16}:{c & 0xFFFF}" for c in attr["communities"])
        elif kind == 32:
            large = frozenset(f"{v['ASN']}:{v['LocalData1']}:{v['LocalData2']}"
                              for v in attr["value"])
    return RibEntry(prefix, next_hop, asns, med, communities, large, local_pref)


class LabGoBGP(LabDaemon, GoBGP):
    """The shared lab's GoBGP: a passive neighbor for each of bgpwire's addresses, and routes
    of its own added through the API."""

    plan: ClassVar[Plan] = Plan(asn=65002, daemon_host=22, peer_host=12, index=2)

    def __init__(self, topology: Topology, workdir: Path) -> None:
        super().__init__(topology, workdir)
        self.neighbors = [Neighbor(address, BGPWIRE_AS) for address in (self.peer6, *self.slots4)]

    def start(self) -> None:
        super().start()
        for afi, prefix, hop in (("ipv4", self.originated4, self.address4),
                                 ("ipv6", self.originated6, self.address6)):
            self.cli("global", "rib", "add", "-a", afi, prefix, "nexthop", hop,
                     "med", str(MED), "community", self.community,
                     "large-community", self.large_community, json_out=False)
