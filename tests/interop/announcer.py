"""The announcer against real routers: manifests, the announcer process, and routers set up for it.

The announcer (``bgpwire-announcer run``) runs as a subprocess inside the announcer namespace
through ``ip netns exec``, exactly as a user starts it; the routers (FRR, GoBGP, BIRD) run in the
router namespace, each bound to its own address pair. The tests talk to the announcer only
through its command line and its status endpoint, and to the routers only through their CLIs,
so what is tested is the installed program, not its internals.

Address plan of an :class:`AnnouncerLab` (subnet ``n``):

* announcer side: ``10.99.n.1`` and ``fd99:n::1``, the node's primary addresses;
  ``fd99:n::1`` is its only global IPv6 address, hence the IPv6 next hop over IPv4
  sessions; ``10.99.n.1xy`` (IPv4 only) are per-session sources (``sourceAddress``);
* router side: ``10.99.n.21/22/23`` and ``fd99:n::21/22/23`` for FRR, GoBGP and BIRD.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import pytest
import yaml

from tests.interop.frr import BGPD
from tests.interop.netns import VETH, Addresses, Topology, entered, unavailable_reason
from tests.interop.procs import DaemonProcess, listening, peak_rss_kib, run_cli

T = TypeVar("T")

ROUTER_AS = 65010
"""The AS of every router here; a BGPPeer with ``myASN`` 65010 is iBGP, others eBGP."""
EBGP_AS = 64999
"""The announcer's ``myASN`` on eBGP sessions."""
NODE = "node-a"
HTTP_PORT = 9473
POLL_INTERVAL = 0.05
TIMEOUT = 20.0
METALLB_NS = "metallb-system"


def announcer_binary() -> str:
    """The console script installed beside this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / "bgpwire-announcer"
    if beside.exists():
        return str(beside)
    found = shutil.which("bgpwire-announcer")
    if found is None:
        raise FileNotFoundError("bgpwire-announcer is not installed (pip install -e .)")
    return found


# --- manifests ------------------------------------------------------------------------------


def pool(name: str, *addresses: str) -> dict[str, Any]:
    return {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
            "metadata": {"name": name, "namespace": METALLB_NS},
            "spec": {"addresses": list(addresses)}}


def advertisement(name: str, pools: Sequence[str] = (), *, aggregation_length: int | None = None,
                  aggregation_length_v6: int | None = None, local_pref: int | None = None,
                  communities: Sequence[str] = (), peers: Sequence[str] = ()) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if pools:
        spec["ipAddressPools"] = list(pools)
    if aggregation_length is not None:
        spec["aggregationLength"] = aggregation_length
    if aggregation_length_v6 is not None:
        spec["aggregationLengthV6"] = aggregation_length_v6
    if local_pref is not None:
        spec["localPref"] = local_pref
    if communities:
        spec["communities"] = list(communities)
    if peers:
        spec["peers"] = list(peers)
    return {"apiVersion": "metallb.io/v1beta1", "kind": "BGPAdvertisement",
            "metadata": {"name": name, "namespace": METALLB_NS}, "spec": spec}


def bgp_peer(name: str, *, my_asn: int, peer_asn: int, peer_address: str,
             source_address: str | None = None, graceful_restart: bool = False,
             passive: bool = False, freebind: bool = False, hold_time: str | None = None,
             connect_time: str | None = None, password: str | None = None,
             node_labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A BGPPeer; ``node_labels`` becomes one ``nodeSelectors`` entry (``matchLabels``)."""
    spec: dict[str, Any] = {"myASN": my_asn, "peerASN": peer_asn, "peerAddress": peer_address}
    if node_labels is not None:
        spec["nodeSelectors"] = [{"matchLabels": dict(node_labels)}]
    if source_address is not None:
        spec["sourceAddress"] = source_address
    if graceful_restart:
        spec["enableGracefulRestart"] = True
    if hold_time is not None:
        spec["holdTime"] = hold_time
    if connect_time is not None:
        spec["connectTime"] = connect_time
    if password is not None:
        spec["password"] = password
    metadata: dict[str, Any] = {"name": name, "namespace": METALLB_NS}
    annotations = {}
    if passive:
        annotations["bgpwire.io/passive"] = "true"
    if freebind:
        annotations["bgpwire.io/freebind"] = "true"
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "metallb.io/v1beta2", "kind": "BGPPeer", "metadata": metadata,
            "spec": spec}


def service(name: str, ips: Sequence[str] = (), *, namespace: str = "default",
            families: Sequence[str] = ("IPv4", "IPv6"), policy: str = "RequireDualStack",
            pool_name: str | None = None) -> dict[str, Any]:
    """A ``type: LoadBalancer`` Service; ``ips`` become the ``loadBalancerIPs`` annotation."""
    annotations = {}
    if ips:
        annotations["metallb.io/loadBalancerIPs"] = ",".join(ips)
    if pool_name is not None:
        annotations["metallb.io/address-pool"] = pool_name
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata,
            "spec": {"type": "LoadBalancer", "ipFamilyPolicy": policy,
                     "ipFamilies": list(families),
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}


def node(name: str = NODE, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels or {"kubernetes.io/hostname": name}}}


def write_manifests(path: Path, documents: Iterable[dict[str, Any]]) -> None:
    """Write a multi-document YAML file in one step (rename), so a watcher never reads half."""
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(yaml.safe_dump_all(list(documents), sort_keys=False))
    os.replace(scratch, path)


# --- routes as the routers show them --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    """One route a router holds from one neighbor, reduced to what the tests compare."""

    prefix: str
    next_hop: str
    local_pref: int | None = None
    communities: frozenset[str] = frozenset()
    large_communities: frozenset[str] = frozenset()

    def with_local_pref(self, value: int | None) -> Route:
        return Route(self.prefix, self.next_hop, value, self.communities, self.large_communities)


# --- waiting --------------------------------------------------------------------------------


class ProcessDied(AssertionError):
    pass


class Watched:
    """Something with a process that must stay alive while a test waits on it."""

    process: DaemonProcess

    def check_alive(self) -> None:
        self.process.check_alive()

    def log_tail(self) -> str:
        return self.process.log_tail()


def wait_until(what: str, check: Callable[[], T | None], watched: Sequence[Watched],
               timeout: float = TIMEOUT) -> T:
    """Poll ``check`` until it gives something other than ``None``/``False``; fail with the
    log tails of ``watched`` on timeout, or at once when one of them died."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        for item in watched:
            item.check_alive()
        try:
            result = check()
        except (OSError, ValueError, KeyError, subprocess.SubprocessError) as error:
            result, last = None, error
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            tails = "\n".join(item.log_tail() for item in watched)
            raise AssertionError(
                f"timeout ({timeout}s) waiting for: {what} (last check gave {last!r})\n{tails}")
        time.sleep(POLL_INTERVAL)


# --- the announcer --------------------------------------------------------------------------


@dataclass
class Announcer(Watched):
    """``bgpwire-announcer run`` in ``namespace``, its log and status endpoint."""

    namespace: str
    workdir: Path
    files: Sequence[Path]
    node_name: str = NODE
    state: Path | None = None
    listen: str | None = None
    on_stop: str | None = None
    http: str = f"127.0.0.1:{HTTP_PORT}"
    extra_args: Sequence[str] = ()
    """More ``run`` options (``--next-hop-ipv4 ADDR`` ...)."""
    process: DaemonProcess = field(init=False)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = DaemonProcess("announcer", self.workdir / "announcer.log", self.argv())

    def argv(self) -> list[str]:
        argv = [announcer_binary(), "run", "--node", self.node_name, "--http", self.http]
        for path in self.files:
            argv += ["-f", str(path)]
        if self.state is not None:
            argv += ["--state", str(self.state)]
        if self.listen is not None:
            argv += ["--listen", self.listen]
        if self.on_stop is not None:
            argv += ["--on-stop", self.on_stop]
        return [*argv, *self.extra_args]

    def start(self) -> None:
        with open(self.process.log_path, "a") as log:
            log.write(f"----- start: {' '.join(self.argv())}\n")
        self.process.start(self.namespace, {"PYTHONUNBUFFERED": "1"})

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.alive()

    def reload(self) -> None:
        """SIGHUP: read the files again."""
        assert self.process.process is not None
        self.process.process.send_signal(signal.SIGHUP)

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM and wait; the exit status (``None`` when it was not running)."""
        self.process.stop(grace)
        return None if self.process.process is None else self.process.process.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash: no NOTIFICATION, no clean-up."""
        assert self.process.process is not None
        self.process.process.kill()
        self.process.process.wait()

    def peak_rss_kib(self) -> int:
        """``VmHWM`` of the running announcer (``ip netns exec`` execs it: same pid)."""
        peak = peak_rss_kib(self.pid)
        if peak is None:
            raise ValueError(f"no VmHWM in /proc/{self.pid}/status")
        return peak

    # --- status ------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The status document, straight from the HTTP endpoint inside the namespace."""
        host, _, port = self.http.rpartition(":")
        with entered(self.namespace):
            connection = http.client.HTTPConnection(host, int(port), timeout=5)
            try:
                connection.request("GET", "/status")
                response = connection.getresponse()
                body = response.read()
            finally:
                connection.close()
        if response.status != 200:
            raise ValueError(f"GET /status: HTTP {response.status}: {body[:200]!r}")
        result = json.loads(body)
        if not isinstance(result, dict):
            raise ValueError(f"status is not a JSON object: {body[:200]!r}")
        return result

    def status_cli(self) -> dict[str, Any]:
        """The same through ``bgpwire-announcer status --json`` (the user's way)."""
        out = run_cli(["ip", "netns", "exec", self.namespace, announcer_binary(), "status",
                       "--json", "--http", self.http])
        result = json.loads(out)
        assert isinstance(result, dict), out
        return result

    def session(self, name: str) -> dict[str, Any]:
        """One session's entry in the status (by BGPPeer name)."""
        for entry in self.status().get("sessions", []):
            if entry.get("name") == name:
                assert isinstance(entry, dict)
                return entry
        raise KeyError(f"no session {name} in the status")

    def session_state(self, name: str) -> str:
        """``Established``, ``Active``, ``not started``..."""
        return str(self.session(name)["state"])

    def services(self) -> dict[str, dict[str, Any]]:
        """The status's services by ``namespace/name``."""
        return {entry["name"]: entry for entry in self.status().get("services", [])}


def plan(files: Sequence[Path], node_name: str = NODE,
         state: Path | None = None) -> dict[str, Any]:
    """``bgpwire-announcer plan --json`` (a dry run, no namespace needed)."""
    argv = [announcer_binary(), "plan", "--node", node_name, "--json"]
    for path in files:
        argv += ["-f", str(path)]
    if state is not None:
        argv += ["--state", str(state)]
    result = json.loads(run_cli(argv))
    assert isinstance(result, dict)
    return result


# --- namespaces -----------------------------------------------------------------------------


def ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")


@dataclass
class AnnouncerLab:
    """An announcer namespace and a router namespace joined by a veth (see the module doc)."""

    topology: Topology

    @property
    def addresses(self) -> Addresses:
        return self.topology.addresses

    @property
    def announcer_ns(self) -> str:
        return self.topology.side_a

    @property
    def router_ns(self) -> str:
        return self.topology.side_b

    @property
    def node_v6(self) -> str:
        """The announcer node's only global IPv6 address."""
        return self.addresses.v6(1)

    def add_source(self, host: int) -> str:
        """An IPv4 address ``10.99.n.<host>`` on the announcer side; returns it."""
        address = self.addresses.v4(host)
        ip("-n", self.announcer_ns, "addr", "add", f"{address}/24", "dev", VETH)
        return address

    def remove_source(self, host: int) -> None:
        ip("-n", self.announcer_ns, "addr", "del", f"{self.addresses.v4(host)}/24", "dev", VETH)


@contextmanager
def announcer_lab(tag: str, source_hosts: Sequence[int],
                  router_hosts: Sequence[int]) -> Iterator[AnnouncerLab]:
    """Namespaces ``bwa<pid><tag>a`` / ``...b``; the announcer side gets ``.1`` (IPv4 and
    IPv6) and IPv4-only ``source_hosts``; the router side both families of ``router_hosts``."""
    pid = os.getpid()
    topology = Topology(f"bwa{pid}{tag}a", f"bwa{pid}{tag}b", Addresses(pid % 250 + 1))
    try:
        topology.create([1], list(router_hosts))
        lab = AnnouncerLab(topology)
        for host in source_hosts:
            lab.add_source(host)
        yield lab
    finally:
        topology.destroy()


def lab_fixture(tag: str, source_hosts: Iterable[int], router_hosts: Iterable[int], *,
                scope: Literal["function", "module"] = "module") -> object:
    """The ``lab`` fixture of one test module: its own :func:`announcer_lab`, skipped (saying
    why) where namespaces cannot be made. ``scope="function"`` gives each test fresh
    namespaces, for tests that change the announcer side's addresses."""
    sources, routers = list(source_hosts), list(router_hosts)

    @pytest.fixture(scope=scope, name="lab")
    def lab() -> Iterator[AnnouncerLab]:
        skip_without_namespaces()
        with announcer_lab(tag, sources, routers) as made:
            yield made

    return lab


@contextmanager
def single_namespace(tag: str) -> Iterator[str]:
    """One namespace (``bwa<pid><tag>``) with ``lo`` up and an interface ``node0`` holding a
    documentation address of each family: the node's own addresses, for next hops, while
    the sessions run over loopback."""
    name = f"bwa{os.getpid()}{tag}"
    if os.path.exists(f"/run/netns/{name}"):
        raise RuntimeError(f"network namespace {name} already exists; not touching it")
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "set", "lo", "up")
        subprocess.run(["ip", "netns", "exec", name, "sysctl", "-qw",
                        "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"],
                       check=True, capture_output=True)
        # A veth with both ends here: this kernel may lack the dummy interface type.
        ip("-n", name, "link", "add", "node0", "type", "veth", "peer", "name", "node1")
        ip("-n", name, "link", "set", "node1", "up")
        ip("-n", name, "addr", "add", f"{HOST_NODE_V4}/24", "dev", "node0")
        ip("-n", name, "addr", "add", f"{HOST_NODE_V6}/64", "dev", "node0", "nodad")
        ip("-n", name, "link", "set", "node0", "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


HOST_NODE_V4 = "192.0.2.10"
HOST_NODE_V6 = "2001:db8:ffff::10"


# --- routers --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Neighbor:
    """The announcer as one router sees it: its address and AS, and who connects."""

    address: str
    asn: int
    passive: bool = True
    """The router only accepts (the announcer connects); otherwise the router connects too."""
    port: int = 179
    """The announcer's port when the router connects."""
    local: str | None = None
    """The router's own address for this session, when not its main one (it must be one of
    the router's ``extra_addresses``)."""
    extended_next_hop: bool = False
    """FRR only: offer RFC 8950 (IPv4 routes with an IPv6 next hop) on this session."""
    password: str | None = None
    """FRR only: TCP-MD5 (RFC 2385) on this session."""


class Router(Watched, ABC):
    """A BGP daemon in the router namespace, configured for a list of announcer neighbors."""

    name: ClassVar[str]

    def __init__(self, namespace: str, workdir: Path, address4: str, address6: str | None,
                 neighbors: Sequence[Neighbor], *, graceful_restart: bool = False,
                 asn: int = ROUTER_AS, extra_addresses: Sequence[str] = ()) -> None:
        self.extra_addresses = list(extra_addresses)
        """More addresses the router listens on (for :attr:`Neighbor.local`)."""
        self.namespace = namespace
        self.workdir = workdir
        self.address4 = address4
        self.address6 = address6
        self.neighbors = list(neighbors)
        self.graceful_restart = graceful_restart
        self.asn = asn
        workdir.mkdir(parents=True, exist_ok=True)
        workdir.chmod(0o755)
        self.process = DaemonProcess(self.name, workdir / f"{self.name}.log", self.argv())

    @abstractmethod
    def argv(self) -> list[str]: ...

    @abstractmethod
    def write_config(self) -> None: ...

    def start(self) -> None:
        self.write_config()
        self.process.start(self.namespace)

    def local_for(self, peer: Neighbor) -> str:
        """The router's own address on the session with ``peer``."""
        if peer.local is not None:
            return peer.local
        if ":" in peer.address and self.address6:
            return self.address6
        return self.address4

    def used_addresses(self) -> list[str]:
        """The router's addresses its passive neighbors talk to (BIRD listens only on those)."""
        return sorted({self.local_for(peer) for peer in self.neighbors if peer.passive})

    def wait_ready(self, port: int = 179) -> None:
        for address in self.used_addresses():
            wait_until(f"{self.name} listening on [{address}]:{port}",
                       partial(listening, self.namespace, address, port), [self])

    def stop(self) -> None:
        self.process.stop()

    @abstractmethod
    def established(self, neighbor: str) -> bool: ...

    @abstractmethod
    def routes(self, afi: str, neighbor: str) -> dict[str, Route]:
        """Valid routes from ``neighbor`` for ``afi`` (``ipv4``/``ipv6``), by prefix."""

    def all_routes(self, neighbor: str) -> dict[str, Route]:
        return {**self.routes("ipv4", neighbor), **self.routes("ipv6", neighbor)}


class FRRRouter(Router):
    """FRR bgpd without zebra (``-Z -n``), staying root (``-S``), its own vty socket dir."""

    name: ClassVar[str] = "frr"

    def __init__(self, *args: Any, port: int = 179, **kwargs: Any) -> None:
        self.port = port
        super().__init__(*args, **kwargs)

    def argv(self) -> list[str]:
        addresses = [*filter(None, (self.address4, self.address6)), *self.extra_addresses]
        listen = [arg for address in addresses for arg in ("-l", address)]
        return [BGPD, "-f", str(self.workdir / "bgpd.conf"), "-i", str(self.workdir / "bgpd.pid"),
                "--vty_socket", str(self.workdir), "-S", "-Z", "-n", "-P", "0",
                "-p", str(self.port), *listen, "--log", "stdout"]

    def wait_ready(self, port: int = 179) -> None:
        super().wait_ready(self.port)

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

    def established(self, neighbor: str) -> bool:
        return self.neighbor_info(neighbor).get("bgpState") == "Established"

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

    def update_stamps(self, neighbor: str) -> dict[str, int]:
        """When each route from ``neighbor`` last arrived (FRR's ``lastUpdate``, seconds):
        FRR renews it on every UPDATE for the prefix, also one that changes nothing."""
        result = {}
        for afi in ("ipv4", "ipv6"):
            for prefix in self.paths_from(afi, neighbor):
                detail = self.vtysh(f"show bgp {afi} unicast {prefix} json")
                for path in detail.get("paths", []):
                    if path.get("peer", {}).get("peerId") == neighbor:
                        result[prefix] = int(path.get("lastUpdate", {}).get("epoch", -1))
        return result

    def received_count(self, afi: str, neighbor: str) -> int:
        summary = self.vtysh(f"show bgp {afi} unicast summary json")
        peer = summary.get("peers", {}).get(neighbor, {})
        return int(peer.get("pfxRcd", 0))

    def routes(self, afi: str, neighbor: str) -> dict[str, Route]:
        result: dict[str, Route] = {}
        for prefix in self.paths_from(afi, neighbor):
            detail = self.vtysh(f"show bgp {afi} unicast {prefix} json")
            for path in detail.get("paths", []):
                if path.get("peer", {}).get("peerId") == neighbor and path.get("valid"):
                    hops = path.get("nexthops", [])
                    result[prefix] = Route(
                        prefix, str(hops[0]["ip"]) if hops else "",
                        int(path["locPrf"]) if "locPrf" in path else None,
                        frozenset(path.get("community", {}).get("string", "").split()),
                        frozenset(path.get("largeCommunity", {}).get("string", "").split()))
        return result


class GoBGPRouter(Router):
    """gobgpd with its API on a Unix socket, every neighbor passive."""

    name: ClassVar[str] = "gobgp"

    @property
    def socket(self) -> str:
        return f"unix://{self.workdir / 'gobgpd.sock'}"

    def argv(self) -> list[str]:
        return ["gobgpd", "-f", str(self.workdir / "gobgpd.toml"), "-t", "toml",
                "--api-hosts", self.socket, "--pprof-disable", "-p"]

    def write_config(self) -> None:
        addresses = [*filter(None, (self.address4, self.address6)), *self.extra_addresses]
        locals_ = ", ".join(f'"{address}"' for address in addresses)
        parts = ["[global.config]", f"  as = {self.asn}", f'  router-id = "{self.address4}"',
                 "  port = 179", f"  local-address-list = [{locals_}]"]
        for peer in self.neighbors:
            local = self.local_for(peer)
            parts += ["[[neighbors]]", "  [neighbors.config]",
                      f'    neighbor-address = "{peer.address}"', f"    peer-as = {peer.asn}",
                      "  [neighbors.transport.config]", f'    local-address = "{local}"',
                      "    passive-mode = true",
                      "  [neighbors.timers.config]", "    idle-hold-time-after-reset = 1"]
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

    def cli(self, *args: str) -> Any:
        out = run_cli(["gobgp", "--target", self.socket, *args, "-j"])
        return json.loads(out) if out.strip() else None

    def established(self, neighbor: str) -> bool:
        info = self.cli("neighbor", neighbor) or {}
        return bool(info.get("state", {}).get("session_state") == 6)

    def routes(self, afi: str, neighbor: str) -> dict[str, Route]:
        table = self.cli("neighbor", neighbor, "adj-in", "-a", afi) or {}
        return {prefix: _gobgp_route(prefix, paths[0]) for prefix, paths in table.items()
                if paths}


def _gobgp_route(prefix: str, path: dict[str, Any]) -> Route:
    next_hop, local_pref = "", None
    communities: frozenset[str] = frozenset()
    large: frozenset[str] = frozenset()
    for attr in path.get("attrs", []):
        kind = attr.get("type")
        if kind in (3, 14):
            next_hop = str(attr.get("nexthop", ""))
        elif kind == 5:
            local_pref = int(attr["value"])
        elif kind == 8:
            communities = frozenset(f"{c >> 16}:{c & 0xFFFF}" for c in attr["communities"])
        elif kind == 32:
            large = frozenset(f"{v['ASN']}:{v['LocalData1']}:{v['LocalData2']}"
                              for v in attr["value"])
    return Route(prefix, next_hop, local_pref, communities, large)


class BIRDRouter(Router):
    """BIRD 2 with ``strict bind``, one protocol per neighbor, every neighbor passive."""

    name: ClassVar[str] = "bird"

    @property
    def control(self) -> str:
        return str(self.workdir / "bird.ctl")

    def argv(self) -> list[str]:
        return ["bird", "-f", "-c", str(self.workdir / "bird.conf"), "-s", self.control,
                "-P", str(self.workdir / "bird.pid")]

    def protocol(self, neighbor: str) -> str:
        return f"p{[peer.address for peer in self.neighbors].index(neighbor)}"

    def write_config(self) -> None:
        text = f"log stderr all;\nrouter id {self.address4};\nprotocol device {{ }}\n"
        for peer in self.neighbors:
            local = self.local_for(peer)
            text += (f"protocol bgp {self.protocol(peer.address)} {{\n"
                     f"  local {local} as {self.asn};\n"
                     f"  neighbor {peer.address} as {peer.asn};\n"
                     "  strict bind yes;\n  passive on;\n  direct;\n"
                     + ("  graceful restart on;\n" if self.graceful_restart else "")
                     + "  ipv4 { import all; export none; gateway direct; };\n"
                     "  ipv6 { import all; export none; gateway direct; };\n}\n")
        (self.workdir / "bird.conf").write_text(text)

    def birdc(self, *command: str) -> str:
        return run_cli(["birdc", "-s", self.control, *command])

    def established(self, neighbor: str) -> bool:
        return "Established" in self.birdc("show", "protocols", self.protocol(neighbor))

    def routes(self, afi: str, neighbor: str) -> dict[str, Route]:
        table = "master4" if afi == "ipv4" else "master6"
        return parse_bird_routes(self.birdc("show", "route", "all", "table", table, "protocol",
                                            self.protocol(neighbor)))


_BIRD_PREFIX = re.compile(r"^(\S+/\d+)\s+\S+\s+\[")


def parse_bird_routes(text: str) -> dict[str, Route]:
    """``birdc show route all`` text: one route per prefix (each neighbor has its own
    protocol, so a prefix appears once per query)."""
    blocks: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        head = _BIRD_PREFIX.match(line)
        if head is not None:
            current = blocks.setdefault(head.group(1), {})
            continue
        key, sep, value = line.strip().partition(":")
        if current is not None and sep and key.startswith("BGP."):
            current.setdefault(key, value.strip())
    result = {}
    for prefix, fields in blocks.items():
        pairs = re.findall(r"\((\d+),\s*(\d+)\)", fields.get("BGP.community", ""))
        triples = re.findall(r"\((\d+),\s*(\d+),\s*(\d+)\)",
                             fields.get("BGP.large_community", ""))
        local_pref = fields.get("BGP.local_pref")
        result[prefix] = Route(
            prefix, (fields.get("BGP.next_hop", "").split() or [""])[0],
            int(local_pref) if local_pref else None,
            frozenset(f"{a}:{b}" for a, b in pairs),
            frozenset(f"{a}:{b}:{c}" for a, b, c in triples))
    return result


ROUTERS: dict[str, type[Router]] = {"frr": FRRRouter, "gobgp": GoBGPRouter, "bird": BIRDRouter}
ROUTER_BINARIES: dict[str, tuple[str, ...]] = {
    "frr": (BGPD, "vtysh"), "gobgp": ("gobgpd", "gobgp"), "bird": ("bird", "birdc")}


def missing_binaries(name: str) -> list[str]:
    return [binary for binary in ROUTER_BINARIES[name] if shutil.which(binary) is None]


def require_daemon(name: str) -> None:
    """Fail (never skip) when a router the test needs is not installed: CI installs them all."""
    missing = missing_binaries(name)
    if missing:
        pytest.fail(f"{name} is not installed (missing {', '.join(missing)})")


def skip_without_namespaces() -> None:
    """Skip, saying why, only where namespaces cannot be made (a developer's machine without
    root); everywhere else the announcer interop tests run."""
    reason = unavailable_reason()
    if reason is not None:
        print(f"\nannouncer interop tests skipped: {reason}")
        pytest.skip(reason)


@contextmanager
def running(*processes: Router | Announcer) -> Iterator[None]:
    """Stop every process on the way out, also when the body failed."""
    try:
        yield
    finally:
        for item in reversed(processes):
            with suppress(Exception):
                item.stop()


@contextmanager
def started(*routers: Router) -> Iterator[None]:
    """Start ``routers`` together, wait until each listens, stop them all on the way out."""
    with running(*routers):
        for router in routers:
            router.start()
        for router in routers:
            router.wait_ready()
        yield
