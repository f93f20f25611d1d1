"""ExaBGP 4.2, passive, recording what it receives through its ``process`` API as JSON lines."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from tests.interop.daemons import BGPWIRE_AS, MED, LabDaemon, Plan
from tests.interop.procs import RibEntry


class ExaBGP(LabDaemon):
    name: ClassVar[str] = "exabgp"
    binaries: ClassVar[tuple[str, ...]] = ("exabgp",)
    plan: ClassVar[Plan] = Plan(asn=65001, daemon_host=24, peer_host=14, index=1)

    @property
    def journal(self) -> str:
        return str(self.workdir / "received.jsonl")

    def argv(self) -> list[str]:
        return ["exabgp", str(self.workdir / "exabgp.conf")]

    def env(self) -> dict[str, str]:
        return {
            "exabgp.daemon.user": "root",
            "exabgp.daemon.drop": "false",
            "exabgp.api.cli": "false",
            "exabgp.log.destination": "stdout",
            "exabgp.tcp.bind": f"{self.address4} {self.address6}",
            "exabgp.tcp.port": "179",
        }

    def write_config(self) -> None:
        dump = self.workdir / "dump.sh"
        # The helper's stdout must stay open, or ExaBGP counts it as dead: no `exec`.
        dump.write_text(f"#!/bin/sh\ncat >> {self.journal}\n")
        dump.chmod(0o755)
        attrs = (f"med {MED} community [{self.community}] "
                 f"large-community [{self.large_community}]")
        blocks = [f"process dump {{\n    run {dump};\n    encoder json;\n}}\n"]
        sessions = [(self.peer6, self.address6), *((a, self.address4) for a in self.slots4)]
        for neighbor, local in sessions:
            blocks.append(f"""neighbor {neighbor} {{
    router-id {self.address4};
    local-address {local};
    local-as {self.plan.asn};
    peer-as {BGPWIRE_AS};
    passive true;
    family {{
        ipv4 unicast;
        ipv6 unicast;
    }}
    api {{
        processes [ dump ];
        neighbor-changes;
        receive {{
            parsed;
            update;
        }}
    }}
    static {{
        route {self.originated4} next-hop {self.address4} {attrs};
        route {self.originated6} next-hop {self.address6} {attrs};
    }}
}}
""")
        (self.workdir / "exabgp.conf").write_text("\n".join(blocks))

    # --- queries ------------------------------------------------------------------------------

    def messages(self) -> list[dict[str, Any]]:
        try:
            with open(self.journal) as journal:
                lines = journal.read().splitlines()
        except FileNotFoundError:
            return []
        result = []
        for line in lines:
            try:
                result.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line still being written
        return result

    def established(self, neighbor: str) -> bool:
        state = None
        for message in self.messages():
            if message.get("type") == "state" and _peer(message) == neighbor:
                state = message["neighbor"].get("state")
        return state == "up"

    def entries(self, afi: str, neighbor: str) -> dict[str, RibEntry]:
        """Replays the journal: announcements, withdrawals, a session going down clears all."""
        family = f"{afi} unicast"
        result: dict[str, RibEntry] = {}
        for message in self.messages():
            if _peer(message) != neighbor:
                continue
            if message.get("type") == "state":
                if message["neighbor"].get("state") != "up":
                    result.clear()
                continue
            if message.get("type") != "update":
                continue
            update = message["neighbor"].get("message", {}).get("update")
            if update is None:
                continue  # End-of-RIB
            for item in update.get("withdraw", {}).get(family, []):
                result.pop(item["nlri"], None)
            attributes = update.get("attribute", {})
            for next_hop, items in update.get("announce", {}).get(family, {}).items():
                for item in items:
                    result[item["nlri"]] = _entry(item["nlri"], next_hop, attributes)
        return result


def _peer(message: dict[str, Any]) -> str | None:
    address = message.get("neighbor", {}).get("address", {})
    peer = address.get("peer")
    return str(peer) if peer is not None else None


def _entry(prefix: str, next_hop: str, attributes: dict[str, Any]) -> RibEntry:
    return RibEntry(
        prefix=prefix,
        next_hop=next_hop,
        as_path=tuple(int(a) for a in attributes.get("as-path", [])),
        med=int(attributes["med"]) if "med" in attributes else None,
        communities=frozenset(f"{a}:{b}" for a, b in attributes.get("community", [])),
        large_communities=frozenset(
            f"{a}:{b}:{c}" for a, b, c in attributes.get("large-community", [])),
    )
