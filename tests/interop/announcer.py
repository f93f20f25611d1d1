"""The announcer against real routers: manifests, the announcer process, the lab around them.

The announcer (``bgpwire-announcer run``) runs as a subprocess inside the announcer namespace
through ``ip netns exec``, exactly as a user starts it; the routers (FRR, GoBGP, BIRD) run in the
router namespace, each bound to its own address pair. The tests talk to the announcer only
through its command line and its status endpoint, and to the routers only through their CLIs,
so what is tested is the installed program, not its internals. The routers are the daemon
classes the library's interop tests use (:mod:`tests.interop.frr`, ``gobgp``, ``bird``), each
configured with one :class:`~tests.interop.daemons.Neighbor` per announcer session.

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
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest
import yaml

from tests.interop import daemons
from tests.interop.bird import BIRD
from tests.interop.daemons import Daemon
from tests.interop.frr import FRR
from tests.interop.gobgp import GoBGP
from tests.interop.netns import VETH, Addresses, Topology, entered, unavailable_reason
from tests.interop.procs import DaemonProcess, Watched, peak_rss_kib, run_cli, wait_for

T = TypeVar("T")

ROUTER_AS = daemons.ROUTER_AS
"""The AS of every router here (a daemon's default); a BGPPeer with ``myASN`` 65010 is iBGP,
others eBGP."""
EBGP_AS = 64999
"""The announcer's ``myASN`` on eBGP sessions."""
NODE = "node-a"
HTTP_PORT = 9473
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


# --- waiting --------------------------------------------------------------------------------


def wait_until(what: str, check: Callable[[], T | None], watched: Sequence[Watched],
               timeout: float = TIMEOUT) -> T:
    """:func:`~tests.interop.procs.wait_for` with the announcer tests' longer default."""
    return wait_for(what, check, watched, timeout)


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

    def get(self, path: str) -> bytes:
        """The body of ``GET path`` from the HTTP endpoint, inside the namespace; ValueError
        unless the answer is 200."""
        host, _, port = self.http.rpartition(":")
        with entered(self.namespace):
            connection = http.client.HTTPConnection(host, int(port), timeout=5)
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
            finally:
                connection.close()
        if response.status != 200:
            raise ValueError(f"GET {path}: HTTP {response.status}: {body[:200]!r}")
        return body

    def status(self) -> dict[str, Any]:
        """The status document, straight from the HTTP endpoint inside the namespace."""
        body = self.get("/status")
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


ROUTERS: dict[str, type[Daemon]] = {"frr": FRR, "gobgp": GoBGP, "bird": BIRD}


def missing_binaries(name: str) -> list[str]:
    return ROUTERS[name].missing_binaries()


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
def running(*processes: Daemon | Announcer) -> Iterator[None]:
    """Stop every process on the way out, also when the body failed."""
    try:
        yield
    finally:
        for item in reversed(processes):
            with suppress(Exception):
                item.stop()
