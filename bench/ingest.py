"""Full-table ingest over a live BGP session: bgpwire against BIRD, FRR and GoBGP.

    python bench/ingest.py                        # 1,000,000 IPv4 prefixes into every receiver
    python bench/ingest.py --prefixes 100000 --runs 1   # a quick run
    python bench/ingest.py --only bgpwire --gc-rows --profile
    python bench/ingest.py --reverse              # also bgpwire announcing the table to GoBGP
    python bench/ingest.py --runs 9               # bgpwire and BIRD rows: nine rounds (default 5)

Run as root (network namespaces, port 179). Two namespaces are made for the run and deleted at
the end, also on failure: the sender's (``bwb-<pid>-s``, 10.99.0.2) and the receivers'
(``bwb-<pid>-r``: bgpwire .1, FRR .21, GoBGP .22, BIRD .23), joined by a veth. No traffic leaves
them. For each receiver in turn, ``../shared/bench/bgp_sender.py`` connects from the sender's
namespace and replays the stream of ``../shared/bench/gen_table.py`` (generated into ``.bench/``
when missing). The time is taken from the sender's Established until the receiver holds every
prefix: bgpwire (``bench/ingest_receiver.py``) reports the moment itself, the daemons are polled
through their CLIs. See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.interop.bird import LabBIRD  # noqa: E402
from tests.interop.daemons import Daemon, Plan  # noqa: E402
from tests.interop.frr import LabFRR  # noqa: E402
from tests.interop.gobgp import GoBGP, LabGoBGP  # noqa: E402
from tests.interop.netns import Addresses, Topology  # noqa: E402
from tests.interop.procs import (  # noqa: E402
    listening,
    peak_rss_kib,
    signals_to_exit,
    wait_for,
)

WORK = ROOT / ".bench"
SHARED = ROOT.parent / "shared" / "bench"
GENERATOR = SHARED / "gen_table.py"
SENDER = SHARED / "bgp_sender.py"
RECEIVER = ROOT / "bench" / "ingest_receiver.py"
ANNOUNCER = ROOT / "bench" / "ingest_announcer.py"

SUBNET = 0
"""10.99.0.0/24: the stream's NEXT_HOP is 10.99.0.2 (gen_table's default), the sender's address,
so every receiver sees a next hop on the shared subnet (BIRD requires that for direct eBGP)."""
SENDER_HOST = 2
SENDER_AS = 65001
BGPWIRE_HOST = 1
RECEIVERS = ("bgpwire", "bird", "frr", "gobgp")
TARGET_RATIO = 1.5
TARGET_MB = 300
GC_THRESHOLD = "100000,50,100"
MAX_POLL_SLEEP = 1.0


# --- the daemons, configured for the one sender ----------------------------------------------


class BenchBIRD(LabBIRD):
    plan: ClassVar[Plan] = Plan(asn=65004, daemon_host=23, peer_host=SENDER_HOST, index=4)
    protocol = "bench"

    def write_config(self) -> None:
        text = f"""
log stderr all;
router id {self.address4};
protocol device {{ }}
protocol bgp {self.protocol} {{
  local {self.address4} as {self.plan.asn};
  neighbor {self.peer4} as {SENDER_AS};
  strict bind yes;
  passive on;
  ipv4 {{ import all; export none; }};
  ipv6 {{ import all; export none; }};
}}
"""
        (self.workdir / "bird.conf").write_text(text)

    def received(self) -> int:
        out = self.birdc("show", "protocols", "all", self.protocol)
        match = re.search(r"Routes:\s+(\d+) imported", out)
        return int(match.group(1)) if match else 0


class BenchFRR(LabFRR):
    plan: ClassVar[Plan] = Plan(asn=65003, daemon_host=21, peer_host=SENDER_HOST, index=3)

    def write_config(self) -> None:
        lines = [
            "frr defaults traditional",
            "hostname bench-frr",
            "log stdout warnings",
            f"router bgp {self.plan.asn}",
            f" bgp router-id {self.address4}",
            " no bgp ebgp-requires-policy",
            " no bgp default ipv4-unicast",
            f" neighbor {self.peer4} remote-as {SENDER_AS}",
            f" neighbor {self.peer4} passive",
            " address-family ipv4 unicast",
            f"  neighbor {self.peer4} activate",
            " exit-address-family",
            " address-family ipv6 unicast",
            f"  neighbor {self.peer4} activate",
            " exit-address-family",
            "exit",
            "",
        ]
        (self.workdir / "bgpd.conf").write_text("\n".join(lines))

    def received(self) -> int:
        peers = self.vtysh("show bgp ipv4 unicast summary json").get("peers", {})
        return int(peers.get(self.peer4, {}).get("pfxRcd", 0))


class BenchGoBGP(LabGoBGP):
    plan: ClassVar[Plan] = Plan(asn=65002, daemon_host=22, peer_host=SENDER_HOST, index=2)

    def write_config(self) -> None:
        parts = [
            "[global.config]",
            f"  as = {self.plan.asn}",
            f'  router-id = "{self.address4}"',
            "  port = 179",
            f'  local-address-list = ["{self.address4}", "{self.address6}"]',
            "[[neighbors]]",
            "  [neighbors.config]",
            f'    neighbor-address = "{self.peer4}"',
            f"    peer-as = {SENDER_AS}",
            "  [neighbors.transport.config]",
            f'    local-address = "{self.address4}"',
            "    passive-mode = true",
        ]
        for family in ("ipv4-unicast", "ipv6-unicast"):
            parts += ["  [[neighbors.afi-safis]]",
                      "    [neighbors.afi-safis.config]",
                      f'      afi-safi-name = "{family}"']
        (self.workdir / "gobgpd.toml").write_text("\n".join(parts) + "\n")

    def start(self) -> None:
        GoBGP.start(self)  # no originated routes

    def received(self) -> int:
        info = self.cli("neighbor", self.peer4)
        total = 0
        for family in info.get("afi_safis", []):
            config = family.get("config", {}).get("family", {})
            if config.get("afi", 1) == 1:
                total += int(family.get("state", {}).get("received", 0))
        return total


BenchDaemon = BenchBIRD | BenchFRR | BenchGoBGP
DAEMONS: dict[str, type[BenchDaemon]] = {"bird": BenchBIRD, "frr": BenchFRR,
                                         "gobgp": BenchGoBGP}
NAMES = {"bgpwire": "bgpwire", "bird": "BIRD", "frr": "FRR bgpd", "gobgp": "GoBGP"}
ROUNDED = ("bgpwire", "bird")
"""The receivers ``--runs`` repeats: those of the target's comparison (FRR and GoBGP take
10 to 60 seconds a run, and are 20 to 40 times slower)."""


# --- results -----------------------------------------------------------------------------------


@dataclass
class Row:
    receiver: str
    prefixes: int
    seconds: float
    peak_mb: float
    notes: list[str] = field(default_factory=list)
    complete: bool = True

    @property
    def rate(self) -> float:
        return self.prefixes / self.seconds if self.seconds > 0 else 0.0


def vm_hwm_mb(pid: int) -> float:
    return (peak_rss_kib(pid) or 0) / 1024


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- the run -----------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, stream: Path, workdir: Path) -> None:
        self.args = args
        self.stream = stream
        self.workdir = workdir
        pid = os.getpid()
        self.topology = Topology(f"bwb-{pid}-s", f"bwb-{pid}-r", Addresses(SUBNET))
        self.sender_ns, self.receiver_ns = self.topology.side_a, self.topology.side_b
        self.children: list[subprocess.Popen[bytes] | subprocess.Popen[str]] = []
        self.daemons: list[Daemon] = []

    @property
    def sender_address(self) -> str:
        return self.topology.addresses.v4(SENDER_HOST)

    # --- set-up and teardown -----------------------------------------------------------------

    def create(self) -> None:
        hosts_b = [BGPWIRE_HOST, *(cls.plan.daemon_host for cls in DAEMONS.values())]
        self.topology.create([SENDER_HOST], hosts_b)

    def cleanup(self) -> None:
        for daemon in self.daemons:
            daemon.stop()
        for child in self.children:
            stop_child(child)
        for name in list(self.topology.created):
            left = self.topology.pids(name)
            if left:
                log(f"WARNING: processes still in {name}: {left}")
        self.topology.destroy()

    def popen(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[str]:
        child = subprocess.Popen(argv, text=True, **kwargs)
        self.children.append(child)
        return child

    def start_sender(self, target: str, tag: str) -> tuple[subprocess.Popen[str], Path]:
        status = self.workdir / f"sender-{tag}.json"
        log_path = self.workdir / f"sender-{tag}.log"
        with open(log_path, "w") as out:
            child = self.popen(
                ["ip", "netns", "exec", self.sender_ns, sys.executable, str(SENDER),
                 "--file", str(self.stream), "--connect", f"{target}:179",
                 "--bind", self.sender_address, "--as", str(SENDER_AS),
                 "--router-id", self.sender_address, "--hold", str(self.args.hold_time),
                 "--status", str(status), "--linger", "3600"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return child, status

    def sender_status(self, child: subprocess.Popen[str], status: Path,
                      timeout: float) -> dict[str, Any]:
        """The sender's JSON status (written once the whole stream and End-of-RIB are sent)."""
        deadline = time.monotonic() + timeout
        while not status.exists() or not status.read_text().strip():
            if child.poll() is not None:
                log_text = status.with_name(status.name.replace(".json", ".log")).read_text()
                raise RuntimeError(f"bgp_sender exited {child.returncode}:\n{log_text}")
            if time.monotonic() > deadline:
                raise RuntimeError("timeout waiting for the sender's status")
            time.sleep(0.05)
        result: dict[str, Any] = json.loads(status.read_text())
        return result

    def finish_sender(self, child: subprocess.Popen[str], tag: str,
                      receiver_stopped: bool = False) -> list[str]:
        """Stop the sender; return what it printed that matters (NOTIFICATIONs). When the
        receiver ended the session itself (bgpwire stops once it has the table), its Cease
        and the sender's exit are expected."""
        alive = child.poll() is None
        stop_child(child)
        text = (self.workdir / f"sender-{tag}.log").read_text()
        notes = [line for line in text.splitlines()
                 if ("NOTIFICATION" in line or "reader ended" in line)
                 and not (receiver_stopped and "benchmark done" in line)]
        if not alive and not receiver_stopped:
            notes.append(f"sender had exited ({child.returncode}) before the end")
        return notes

    # --- bgpwire -------------------------------------------------------------------------------

    def bgpwire(self, label: str, extra: list[str]) -> Row:
        address = self.topology.addresses.v4(BGPWIRE_HOST)
        tag = re.sub(r"\W+", "-", label)
        argv = [sys.executable, str(RECEIVER), "--netns", self.receiver_ns,
                "--listen", address, "--peer", self.sender_address,
                "--prefixes", str(self.args.prefixes), "--hold-time", str(self.args.hold_time),
                *extra]
        receiver = self.popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert receiver.stdout is not None
        first = read_line(receiver, 30.0)
        if first.strip() != "ready":
            raise RuntimeError(f"{label} receiver did not start: {first!r}")
        sender, status_path = self.start_sender(address, tag)
        line = read_line(receiver, self.args.timeout)
        receiver.wait(10)
        status = self.sender_status(sender, status_path, 10.0)
        notes = self.finish_sender(sender, tag, receiver_stopped=True)
        report = json.loads(line)
        t0 = float(status["t_established"])
        seconds = float(report["t_done"]) - t0 if report["t_done"] else 0.0
        since_first = float(report["t_done"]) - float(report["t_first_update"])
        gc_total = sum(report["gc_seconds"])
        notes += [
            f"{report['prefixes']:,} prefixes in {report['updates']:,} UPDATEs; "
            f"{since_first:.2f} s from the first UPDATE; sender done writing "
            f"{float(status['t_sent']) - t0:.2f} s after Established",
            f"AdjRibIn.apply {report['apply_seconds']:.2f} s; cyclic GC "
            f"{gc_total:.2f} s (gen0/1/2 runs {'/'.join(map(str, report['gc_runs']))}, "
            f"{'/'.join(f'{s:.2f}' for s in report['gc_seconds'])} s)",
            f"KEEPALIVEs while Established: {report['keepalives_received']} received, "
            f"{report['keepalives_sent']} sent (hold time {self.args.hold_time} s); "
            + ("stayed Established" if not report["left_established"]
               else "LEFT ESTABLISHED: " + "; ".join(report["left_established"])),
        ]
        complete = bool(report["t_done"]) and not report["left_established"]
        return Row(label, int(report["prefixes"]), seconds, report["vm_hwm_kb"] / 1024, notes,
                   complete)

    # --- daemons -------------------------------------------------------------------------------

    def daemon(self, name: str) -> Row:
        cls = DAEMONS[name]
        daemon = cls(self.topology, self.workdir / name)
        self.daemons.append(daemon)
        start_daemon(daemon)
        sender, status_path = self.start_sender(daemon.address4, name)
        count, t_done, interval = self.poll(daemon, daemon.received, self.args.prefixes)
        peak = vm_hwm_mb(daemon.process.pid)
        status = self.sender_status(sender, status_path, 30.0)
        notes = self.finish_sender(sender, name)
        daemon.stop()
        self.daemons.remove(daemon)
        t0 = float(status["t_established"])
        notes.insert(0, f"{count:,} prefixes; the time is when the first CLI poll showing them "
                     f"all returned (that call took {interval:.2f} s); sender done writing "
                     f"{float(status['t_sent']) - t0:.2f} s after Established")
        complete = count >= self.args.prefixes
        return Row(NAMES[name], count, t_done - t0 if complete else 0.0, peak, notes, complete)

    def poll(self, daemon: Daemon, received: Callable[[], int],
             target: int) -> tuple[int, float, float]:
        """Poll ``received`` until it reaches ``target``: the time is when that call returned,
        and the third value is how long it took (the uncertainty of the time). Between calls
        the poller sleeps twice what the last call took, at least ``--poll`` and at most
        ``MAX_POLL_SLEEP``, so polling stays a small load on a busy daemon."""
        deadline = time.monotonic() + self.args.timeout
        count = 0
        while True:
            daemon.process.check_alive()
            start = time.time()
            try:
                count = received()
            except (OSError, ValueError, subprocess.SubprocessError):
                count = 0
            now = time.time()
            if count >= target or time.monotonic() > deadline:
                return count, now, now - start
            time.sleep(min(max(self.args.poll, 2 * (now - start)), MAX_POLL_SLEEP))

    # --- reverse: bgpwire announcing ---------------------------------------------------------

    def reverse(self) -> Row:
        daemon = BenchGoBGP(self.topology, self.workdir / "gobgp-reverse")
        self.daemons.append(daemon)
        start_daemon(daemon)
        announcer = self.popen(
            [sys.executable, str(ANNOUNCER), "--netns", self.sender_ns,
             "--local", self.sender_address, "--peer", daemon.address4,
             "--peer-as", str(daemon.plan.asn), "--file", str(self.stream),
             "--hold-time", str(self.args.hold_time)],
            stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        report = json.loads(read_line(announcer, 120.0))
        count, t_done, interval = self.poll(daemon, daemon.received, self.args.prefixes)
        peak = vm_hwm_mb(daemon.process.pid)
        assert announcer.stdin is not None
        announcer.stdin.close()
        end = json.loads(read_line(announcer, 30.0))
        announcer.wait(10)
        daemon.stop()
        self.daemons.remove(daemon)
        t0 = float(report["t_established"])
        sent = float(report["t_sent"]) - t0
        total = t_done - t0
        bottleneck = "GoBGP" if sent < 0.5 * total else "bgpwire"
        notes = [
            f"{count:,} prefixes in GoBGP; bgpwire packed {report['groups']:,} attribute sets "
            f"into {report['updates']:,} UPDATEs: pack_announcements "
            f"{report['pack_seconds']:.2f} s + send_updates (encode, write) "
            f"{report['encode_write_seconds']:.2f} s, all handed over {sent:.2f} s after "
            f"Established = {100 * sent / total:.0f}% of the total: {bottleneck} is the "
            "bottleneck",
            f"session {end['state_at_end']} at the end; the last GoBGP poll took {interval:.2f} s",
        ]
        complete = count >= self.args.prefixes and end["state_at_end"] == "ESTABLISHED"
        return Row("bgpwire -> GoBGP", count, total if complete else 0.0, peak, notes, complete)


def start_daemon(daemon: Daemon) -> None:
    """Start ``daemon`` and wait until it listens on its IPv4 address (the only one used)."""
    daemon.start()
    address = daemon.address4
    wait_for(f"{daemon.name} listening on {address}:179",
             lambda: listening(daemon.namespace, address), daemon.process)


def read_line(child: subprocess.Popen[str], timeout: float) -> str:
    """The next line ``child`` prints, or an error if it prints none within ``timeout``."""
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    if not ready:
        raise RuntimeError(f"no output from {child.args!r} within {timeout} s")
    line = child.stdout.readline()
    if not line:
        child.wait(5)
        raise RuntimeError(f"{child.args!r} exited {child.returncode} without output")
    return line


def stop_child(child: subprocess.Popen[Any]) -> None:
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(5)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def stream(prefixes: int) -> Path:
    path = WORK / f"v4_{prefixes}.bin"
    if path.exists():
        return path
    if not GENERATOR.exists():
        raise SystemExit(f"{path.name} is missing and so is {GENERATOR} (../shared/bench)")
    WORK.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    log(f"generating {path.relative_to(ROOT)} with {GENERATOR.name} ...")
    subprocess.run([sys.executable, str(GENERATOR), "--prefixes", str(prefixes),
                    "--out", str(partial)], check=True, stdout=subprocess.DEVNULL)
    partial.rename(path)
    return path


# --- output ------------------------------------------------------------------------------------


def print_table(rows: list[Row], rounds: list[list[Row]], args: argparse.Namespace) -> None:
    bird = next((r for r in rows if r.receiver == "BIRD" and r.complete), None)
    print()
    print(f"{args.prefixes:,} IPv4 prefixes over a live session, Established -> all in the "
          "receiver's RIB")
    if args.runs > 1:
        print(f"bgpwire and BIRD rows: the fastest of {args.runs} rounds (peak MB: the highest)")
    print()
    print("| receiver | seconds | prefixes/s | peak MB | / BIRD |")
    print("|---|---|---|---|---|")
    for row in rows:
        ratio = f"{row.seconds / bird.seconds:.2f}x" if bird and row.complete else "-"
        seconds = f"{row.seconds:.2f}" if row.complete else "INCOMPLETE"
        print(f"| {row.receiver} | {seconds} | {row.rate:,.0f} | {row.peak_mb:,.0f} | {ratio} |")
    print()
    for row in rows:
        for note in row.notes:
            print(f"  {row.receiver}: {note}")
    if args.runs > 1:
        print()
        for receiver in dict.fromkeys(r.receiver for rows in rounds for r in rows):
            ratios = round_ratios(rounds, receiver)
            if receiver != "BIRD" and ratios:
                print(f"  {receiver} / BIRD in each round: "
                      + ", ".join(f"{ratio:.2f}x" for ratio in ratios)
                      + f" (median {statistics.median(ratios):.2f}x)")
    main_row = next((r for r in rows if r.receiver == "bgpwire"), None)
    ratios = round_ratios(rounds, "bgpwire")
    if main_row and ratios and main_row.complete:
        # The median of the rounds, each a comparison in the same conditions.
        speed = statistics.median(ratios)
        ok = speed <= TARGET_RATIO and main_row.peak_mb < TARGET_MB
        print(f"\nbgpwire: {speed:.2f}x BIRD's time (median of {len(ratios)} rounds), "
              f"{main_row.peak_mb:.0f} MB peak (target <= {TARGET_RATIO}x and < {TARGET_MB} MB): "
              f"{'MET' if ok else 'NOT MET'}")
    if any("gc." in r.receiver for r in rows):
        print("Rows marked gc.* set the collector in the receiver script (the embedding "
              "program's choice), not in bgpwire.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--prefixes", type=int, default=1_000_000)
    parser.add_argument("--only", choices=RECEIVERS, action="append",
                        help="run only this receiver (repeatable)")
    parser.add_argument("--gc-rows", action="store_true",
                        help="extra bgpwire rows: gc.freeze() after start-up, and with "
                        f"gc.set_threshold({GC_THRESHOLD}) too")
    parser.add_argument("--gc-threshold", default=GC_THRESHOLD)
    parser.add_argument("--profile", action="store_true",
                        help="one more bgpwire row under cProfile; prints the top functions")
    parser.add_argument("--reverse", action="store_true",
                        help="also bgpwire announcing the table to GoBGP")
    parser.add_argument("--runs", type=int, default=5,
                        help="rounds of the bgpwire and BIRD rows (FRR, GoBGP: one); the table "
                        "shows each one's fastest, the verdict the median of the rounds' ratios")
    parser.add_argument("--hold-time", type=int, default=9,
                        help="hold time of every session (keepalives every third of it)")
    parser.add_argument("--poll", type=float, default=0.05,
                        help="shortest interval between two CLI polls of a daemon")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="longest wait for one receiver")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs {args.runs}: must be at least 1")
    if os.geteuid() != 0:
        raise SystemExit("bench/ingest.py needs root (network namespaces, port 179)")
    if not SENDER.exists():
        raise SystemExit(f"{SENDER} is missing (../shared/bench beside the project)")
    selected = args.only or list(RECEIVERS)
    path = stream(args.prefixes)
    rounds: list[list[Row]] = []
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bgpwire-ingest-") as tmp, signals_to_exit():
        workdir = Path(tmp)
        workdir.chmod(0o755)
        bench = Bench(args, path, workdir)
        try:
            bench.create()
            log(f"namespaces {bench.sender_ns} / {bench.receiver_ns} up; stream {path.name}")
            repeated = [name for name in selected if name in ROUNDED]
            for number in range(1, args.runs + 1):
                if args.runs > 1:
                    log(f"round {number} of {args.runs}")
                rounds.append([row for name in repeated for row in receive(bench, name, args)])
            for name in selected:
                if name not in ROUNDED:
                    rows.extend(receive(bench, name, args))
            if args.reverse:
                log("bgpwire announcing to GoBGP ...")
                rows.append(bench.reverse())
                log(f"reverse: {rows[-1].seconds:.2f} s")
            if args.profile:
                print_profile(workdir / "receiver.prof")
        finally:
            bench.cleanup()
    rows = fastest(rounds) + rows
    print_table(rows, rounds, args)
    return 0 if all(row.complete for row in rows) else 1


def receive(bench: Bench, name: str, args: argparse.Namespace) -> list[Row]:
    """The rows of one receiver: a daemon's one, or one per bgpwire variant."""
    if name != "bgpwire":
        log(f"{NAMES[name]} ...")
        row = bench.daemon(name)
        log(f"{NAMES[name]}: {row.seconds:.2f} s")
        return [row]
    variants: list[tuple[str, list[str]]] = [
        ("bgpwire", []), ("bgpwire, an event per UPDATE", ["--per-update"]),
        ("bgpwire apply one by one", ["--one-by-one"]),
        ("bgpwire Speaker", ["--speaker"])]
    if args.gc_rows:
        variants += [
            ("bgpwire gc.freeze()", ["--gc-freeze"]),
            (f"bgpwire gc.freeze()+gc.set_threshold({args.gc_threshold})",
             ["--gc-freeze", "--gc-threshold", args.gc_threshold]),
        ]
    if args.profile:
        variants.append(("bgpwire under cProfile",
                         ["--profile", str(bench.workdir / "receiver.prof")]))
    rows = []
    for label, extra in variants:
        log(f"{label} ...")
        rows.append(bench.bgpwire(label, extra))
        log(f"{label}: {rows[-1].seconds:.2f} s")
    return rows


def fastest(rounds: list[list[Row]]) -> list[Row]:
    """Per receiver, the row of its fastest complete round (every round when none completed),
    with the highest peak memory of all its rounds; in the order of the first round."""
    best: dict[str, Row] = {}
    peaks: dict[str, float] = {}
    for row in (row for rows in rounds for row in rows):
        peaks[row.receiver] = max(peaks.get(row.receiver, 0.0), row.peak_mb)
        held = best.get(row.receiver)
        if held is None or (row.complete, -row.seconds) > (held.complete, -held.seconds):
            best[row.receiver] = row
    return [replace(row, peak_mb=peaks[name]) for name, row in best.items()]


def round_ratios(rounds: list[list[Row]], receiver: str) -> list[float]:
    """``receiver``'s time over BIRD's, in each round where both completed."""
    ratios = []
    for rows in rounds:
        mine = next((r for r in rows if r.receiver == receiver and r.complete), None)
        bird = next((r for r in rows if r.receiver == "BIRD" and r.complete), None)
        if mine is not None and bird is not None:
            ratios.append(mine.seconds / bird.seconds)
    return ratios


def print_profile(path: Path) -> None:
    import pstats  # noqa: PLC0415

    print("\ncProfile of the bgpwire receiver (whole run, cumulative, top 25):")
    stats = pstats.Stats(str(path))
    stats.sort_stats("cumulative").print_stats(25)
    print("by own time (top 20):")
    stats.sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    sys.exit(main())
