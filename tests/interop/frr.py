"""FRR bgpd, standalone: no zebra (-Z), no FIB (-n), stays root (-S), its own vty socket dir."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from tests.interop.daemons import BGPWIRE_AS, MED, Daemon, LabDaemon, Plan
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
    """bgpd listening on its own addresses only (``-l``), on ``port``."""

    name: ClassVar[str] = "frr"
    binaries: ClassVar[tuple[str, ...]] = (BGPD, "vtysh")

    def __init__(self, *args: Any, port: int = 179, **kwargs: Any) -> None:
        self.port = port
        super().__init__(*args, **kwargs)

    def argv(self) -> list[str]:
        listen = [arg for address in self.own_addresses for arg in ("-l", address)]
        return [BGPD, "-f", str(self.workdir / "bgpd.conf"), "-i", str(self.workdir / "bgpd.pid"),
                "--vty_socket", str(self.workdir), "-S", "-Z", "-n", "-P", "0",
                "-p", str(self.port), *listen, "--log", "stdout"]

    def write_config(self) -> None:
        lines = ["frr defaults traditional", "hostname bwa-frr", "log stdout informational", "!",
                 f"router bgp {self.asn}", f" bgp router-id {self.address4}",
                 " no bgp ebgp-requires-policy", " no bgp default ipv4-unicast"]
        if self.graceful_restart:
            lines += [" bgp graceful-restart", " bgp graceful-restart stalepath-time 120"]
        for peer in self.neighbors:
            source = self.local_for(peer)
            lines += [f" neighbor {peer.address} remote-as {peer.asn}",
                      f" neighbor {peer.address} update-source {source}"]
            if peer.passive:
                lines.append(f" neighbor {peer.address} passive")
            else:
                lines += [f" neighbor {peer.address} timers connect 1",
                          f" neighbor {peer.address} port {peer.port}"]
            if peer.address.startswith("127."):
                lines.append(f" neighbor {peer.address} disable-connected-check")
            if peer.extended_next_hop:
                lines.append(f" neighbor {peer.address} capability extended-nexthop")
            if peer.password is not None:
                lines.append(f" neighbor {peer.address} password {peer.password}")
        for family in ("ipv4", "ipv6"):
            lines.append(f" address-family {family} unicast")
            lines += [f"  neighbor {peer.address} activate" for peer in self.neighbors]
            lines.append(" exit-address-family")
        lines += ["exit", "!", ""]
        (self.workdir / "bgpd.conf").write_text("\n".join(lines))

    # --- queries ------------------------------------------------------------------------------

    def vtysh_text(self, command: str) -> str:
        """A command whose answer is text, or nothing (``clear bgp *``)."""
        return run_cli(["vtysh", "--vty_socket", str(self.workdir), "-d", "bgpd", "-c", command])

    def vtysh(self, command: str) -> Any:
        out = self.vtysh_text(command)
        if not out.strip():
            raise ValueError(f"vtysh {command!r}: empty output")
        return json.loads(out)

    def neighbor_info(self, neighbor: str) -> dict[str, Any]:
        info = self.vtysh(f"show bgp neighbors {neighbor} json").get(neighbor, {})
        assert isinstance(info, dict)
        return info

    def neighbor_state(self, neighbor: str) -> str:
        return str(self.neighbor_info(neighbor).get("bgpState", "?"))

    def established(self, neighbor: str) -> bool:
        return self.neighbor_state(neighbor) == "Established"

    def table(self, afi: str) -> dict[str, list[dict[str, Any]]]:
        """The whole table in one call: prefix to paths (valid, stale, peerId...)."""
        routes = self.vtysh(f"show bgp {afi} unicast json").get("routes", {})
        assert isinstance(routes, dict)
        return routes

    def paths_from(self, afi: str, neighbor: str) -> dict[str, dict[str, Any]]:
        """One path per prefix learned from ``neighbor`` (valid or not, stale or not)."""
        result = {}
        for prefix, paths in self.table(afi).items():
            for path in paths:
                if path.get("peerId") == neighbor:
                    result[prefix] = path
        return result

    def paths(self, afi: str, prefix: str, neighbor: str) -> list[dict[str, Any]]:
        """FRR's detailed paths for ``prefix`` learned from ``neighbor`` (valid or not, stale
        or not): the table's summary lacks communities, LOCAL_PREF and update times."""
        detail = self.vtysh(f"show bgp {afi} unicast {prefix} json")
        return [path for path in detail.get("paths", [])
                if path.get("peer", {}).get("peerId") == neighbor]

    def update_stamps(self, neighbor: str) -> dict[str, int]:
        """When each route from ``neighbor`` last arrived (FRR's ``lastUpdate``, seconds):
        FRR renews it on every UPDATE for the prefix, also one that changes nothing."""
        result = {}
        for afi in ("ipv4", "ipv6"):
            for prefix in self.paths_from(afi, neighbor):
                for path in self.paths(afi, prefix, neighbor):
                    result[prefix] = int(path.get("lastUpdate", {}).get("epoch", -1))
        return result

    def received_count(self, afi: str, neighbor: str) -> int:
        summary = self.vtysh(f"show bgp {afi} unicast summary json")
        peer = summary.get("peers", {}).get(neighbor, {})
        return int(peer.get("pfxRcd", 0))

    def entries(self, afi: str, neighbor: str) -> dict[str, RibEntry]:
        result: dict[str, RibEntry] = {}
        for prefix in self.paths_from(afi, neighbor):
            for path in self.paths(afi, prefix, neighbor):
                if path.get("valid"):
                    result[prefix] = _entry(prefix, path)
        return result


def _entry(prefix: str, path: dict[str, Any]) -> RibEntry:
    segments = path.get("aspath", {}).get("segments", [])
    hops = path.get("nexthops", [])
    return RibEntry(
        prefix=prefix,
        next_hop=str(hops[0]["ip"]) if hops else "",
        as_path=tuple(int(asn) for segment in segments for asn in segment.get("list", [])),
        med=int(path["metric"]) if "metric" in path else None,
        communities=frozenset(path.get("community", {}).get("string", "").split()),
        large_communities=frozenset(path.get("largeCommunity", {}).get("string", "").split()),
        local_pref=int(path["locPrf"]) if "locPrf" in path else None,
    )


class LabFRR(LabDaemon, FRR):
    """The shared lab's FRR: every kind of session the library's tests need (see
    tests/interop/README.md), and routes of its own to originate."""

    plan: ClassVar[Plan] = Plan(asn=65003, daemon_host=21, peer_host=11, index=3)

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

    def header(self, *route_maps: str) -> list[str]:
        """The config up to the neighbors: route-maps, and the ``router bgp`` lines."""
        return ["frr defaults traditional", f"hostname bwi-{self.name}",
                "log stdout informational", "!", *route_maps,
                f"router bgp {self.plan.asn}", f" bgp router-id {self.address4}",
                " no bgp ebgp-requires-policy", " no bgp default ipv4-unicast",
                " no bgp network import-check"]

    def passive_neighbor(self, address: str, *options: str) -> list[str]:
        """A passive bgpwire neighbor at ``address``, reached from the daemon's address of the
        same family, with more ``options`` (``timers 1 3`` ...)."""
        source = self.address6 if ":" in address else self.address4
        return [f" neighbor {address} {option}" for option in
                (f"remote-as {BGPWIRE_AS}", "passive", f"update-source {source}", *options)]

    def originate_map(self) -> list[str]:
        """Route-map ``ORIGINATE``: the attributes of the routes the daemon originates."""
        return ["route-map ORIGINATE permit 10", f" set metric {MED}",
                f" set community {self.community}",
                f" set large-community {self.large_community}", "exit"]

    def write_config(self) -> None:
        (self.workdir / "bgpd.conf").write_text("\n".join([*self.config(), "exit", "!", ""]))

    def config(self) -> list[str]:
        """The config up to the end of ``router bgp``: the shared lab's, unless overridden."""
        me4, me6 = self.address4, self.address6
        lines = self.header(*self.originate_map(), "route-map V6NH permit 10",
                            f" set ipv6 next-hop global {me6}", "exit", "!")
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
        lines.append(" exit-address-family")
        return lines
