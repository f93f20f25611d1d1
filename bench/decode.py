"""Decode speed of bgpwire on full-table UPDATE streams, side by side with ExaBGP 5.

    python bench/decode.py                      # 1,000,000 IPv4 + 200,000 IPv6 prefixes
    python bench/decode.py --prefixes 100000    # a quick run (IPv6 gets a fifth of it)
    python bench/decode.py --skip-exabgp
    python bench/decode.py --runs 5             # the fastest of 5 runs per row (default 3)

The streams come from ../shared/bench/gen_table.py (generated into .bench/ when missing). Each
measurement runs in a fresh subprocess, so that peak memory (ru_maxrss) is its own, and each
row is the fastest of several. See bench/README.md for what each mode does and how to read
the output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_table.py"
EXABGP_VENV = WORK / "exabgp5"
EXABGP_SCRIPT = ROOT / "bench" / "exabgp_decode.py"
CHUNK = 65536
"""Bytes handed to the framer at a time, as a socket read would."""

MODES = ("decode", "decode+read", "frame+decode")
COMPARED = ("decode", "decode+read")
"""The rows compared with ExaBGP's, which is timed on messages cut before its clock starts: so
are these two. ``frame+decode`` adds the framer, as a session pays it."""


@dataclass(frozen=True)
class Result:
    name: str
    messages: int
    prefixes: int
    seconds: float
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.prefixes / self.seconds


# --- the measurement, in its own process ------------------------------------------------------


def measure(mode: str, path: Path) -> dict[str, float | int]:
    """Decode the stream at ``path`` and count its prefixes (decode+read: build them all);
    frame+decode also cuts it into messages on the clock, in reads of :data:`CHUNK` octets.

    bgpwire is imported here, in the child, which runs with the project on its PYTHONPATH: the
    parent needs no more than a python3 that can make a venv.
    """
    from bgpwire import decode  # noqa: PLC0415
    from bgpwire.context import Negotiated  # noqa: PLC0415
    from bgpwire.framer import Framer  # noqa: PLC0415
    from bgpwire.messages import Update  # noqa: PLC0415

    data = path.read_bytes()
    read = mode == "decode+read"
    ctx = Negotiated(four_octet_as=True)
    framer = Framer(ctx.max_message_length)
    reads = [data[offset:offset + CHUNK] for offset in range(0, len(data), CHUNK)]
    if mode != "frame+decode":  # cut before the clock starts, as for ExaBGP
        reads = [raw for chunk in reads for raw in framer.feed(chunk)]
    messages = prefixes = 0
    start = time.perf_counter()
    for chunk in reads:
        for raw in framer.feed(chunk) if mode == "frame+decode" else (chunk,):
            message = decode(raw, ctx)
            messages += 1
            if type(message) is not Update:
                continue
            reach, unreach = message.mp_reach, message.mp_unreach
            if read:
                for _attribute in message.attributes:  # builds those decoding left unbuilt
                    pass
                blocks = [message.nlri, message.withdrawn]
                if reach is not None:
                    blocks.append(reach.nlri)
                if unreach is not None:
                    blocks.append(unreach.withdrawn)
                for block in blocks:
                    for _prefix in block:  # builds every network object
                        prefixes += 1
            else:  # everything is checked, values are built when first read
                prefixes += len(message.nlri) + len(message.withdrawn)
                if reach is not None:
                    prefixes += len(reach.nlri)
                if unreach is not None:
                    prefixes += len(unreach.withdrawn)
    seconds = time.perf_counter() - start
    if framer.pending:
        raise SystemExit(f"{path}: {framer.pending} octets left over")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"messages": messages, "prefixes": prefixes, "seconds": seconds, "peak_rss_mb": peak}


def best_of(runs: int, name: str, command: list[str]) -> Result:
    """The fastest of ``runs`` measurements, each in a fresh process, with the highest peak
    memory among them: on a shared machine a run is only ever slowed down by others, so the
    fastest is the closest to the code's own speed. Every row, ExaBGP's included, gets as many."""
    results = [run_child(name, command) for _ in range(runs)]
    fastest = min(results, key=lambda result: result.seconds)
    return replace(fastest, peak_rss_mb=max(result.peak_rss_mb for result in results))


def run_child(name: str, command: list[str]) -> Result:
    """Run one measurement in a fresh process; it prints its figures as JSON on its last line."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stdout}{done.stderr}")
    numbers = json.loads(done.stdout.strip().splitlines()[-1])
    if "version" in numbers:
        name = f"{name} {numbers['version']}"
    return Result(name, int(numbers["messages"]), int(numbers["prefixes"]),
                  float(numbers["seconds"]), float(numbers["peak_rss_mb"]))


# --- streams and ExaBGP -----------------------------------------------------------------------


def stream(family: str, prefixes: int) -> Path:
    path = WORK / f"{'v4' if family == 'ipv4' else 'v6'}_{prefixes}.bin"
    if path.exists():
        return path
    if not GENERATOR.exists():
        raise SystemExit(
            f"{path.name} is missing and so is {GENERATOR}: the benchmark streams are made by "
            "shared/bench/gen_table.py, which must sit beside the project (../shared)")
    WORK.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    print(f"generating {path.relative_to(ROOT)} with {GENERATOR.name} ...", flush=True)
    subprocess.run([sys.executable, str(GENERATOR), "--family", family,
                    "--prefixes", str(prefixes), "--out", str(partial)],
                   check=True, stdout=subprocess.DEVNULL)
    partial.rename(path)
    return path


def pip_versions(python: Path) -> list[str]:
    done = subprocess.run([str(python), "-m", "pip", "index", "versions", "exabgp"],
                          capture_output=True, text=True, check=False)
    match = re.search(r"Available versions: (.*)", done.stdout)
    return [v.strip() for v in match.group(1).split(",")] if match else []


def exabgp_python() -> tuple[Path, str]:
    """The venv's interpreter, installing ExaBGP 5 (else the newest 4.x) there if needed."""
    python = EXABGP_VENV / "bin" / "python"
    note = ""
    installed = subprocess.run([str(python), "-c", "import exabgp"], capture_output=True,
                               check=False).returncode == 0 if python.exists() else False
    if not installed:
        print(f"installing ExaBGP into {EXABGP_VENV.relative_to(ROOT)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(EXABGP_VENV)], check=True)
        versions = pip_versions(python)
        fives = [v for v in versions if re.fullmatch(r"5\.\d+\.\d+", v)]
        fours = [v for v in versions if re.fullmatch(r"4\.\d+\.\d+", v)]
        if fives or not fours:
            requirement = f"exabgp=={fives[0]}" if fives else "exabgp>=5,<6"
        else:
            requirement = f"exabgp=={fours[0]}"
            note = f"ExaBGP 5.x is not available; comparing with {fours[0]}"
        subprocess.run([str(python), "-m", "pip", "install", "-q", requirement], check=True)
    return python, note


# --- the report -------------------------------------------------------------------------------


def row(result: Result) -> str:
    return (f"  {result.name:<16}{result.messages:>10,}{result.prefixes:>12,}"
            f"{result.seconds:>10.2f}{result.rate:>13,.0f}{result.peak_rss_mb:>10.0f}")


def bench(prefixes: int, skip_exabgp: bool, runs: int) -> int:
    print(f"bgpwire decode benchmark: Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, Negotiated(four_octet_as=True), {CHUNK}-octet reads, "
          f"best of {runs} runs per row")
    exabgp = None
    note = ""
    if not skip_exabgp:
        exabgp, note = exabgp_python()
    if note:
        print(f"NOTE: {note}")
    failures = 0
    for family, count in (("ipv4", prefixes), ("ipv6", max(1, prefixes // 5))):
        path = stream(family, count)
        print(f"\n{path.relative_to(ROOT)}: {count:,} {family} prefixes, "
              f"{path.stat().st_size / 1e6:.1f} MB")
        print(f"  {'':<16}{'messages':>10}{'prefixes':>12}{'seconds':>10}{'prefixes/s':>13}"
              f"{'peak MB':>10}")
        results = {}
        for mode in MODES:
            results[mode] = best_of(
                runs, mode, [sys.executable, __file__, "--worker", mode, str(path)])
            print(row(results[mode]), flush=True)
        if exabgp is not None:
            results["exabgp"] = best_of(
                runs, "ExaBGP", [str(exabgp), str(EXABGP_SCRIPT), str(path)])
            print(row(results["exabgp"]))
            theirs = results["exabgp"].rate
            print("  bgpwire/ExaBGP prefixes/s: " + ", ".join(
                f"{mode} {results[mode].rate / theirs:.1f}x" for mode in MODES)
                + f" (like for like: {', '.join(COMPARED)})")
        for result in results.values():
            if result.prefixes != count:
                print(f"  MISMATCH: {result.name} counted {result.prefixes:,} prefixes")
                failures += 1
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefixes", type=int, default=1_000_000,
                        help="IPv4 prefixes (IPv6 gets a fifth); default 1,000,000")
    parser.add_argument("--skip-exabgp", action="store_true", help="measure bgpwire only")
    parser.add_argument("--runs", type=int, default=3,
                        help="measurements per row, the fastest kept; default 3")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "STREAM"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, path = args.worker
        print(json.dumps(measure(mode, Path(path))))
        return 0
    if args.runs < 1:
        parser.error(f"--runs {args.runs}: must be at least 1")
    return bench(args.prefixes, args.skip_exabgp, args.runs)


if __name__ == "__main__":
    sys.exit(main())
