"""Build the fuzz seed corpus: one file per message.

Sources: every ``*.bin`` under tests/vectors/ and bgpwire/samples/ (raw back-to-back messages,
as captured), every ``*.hex`` under tests/vectors/ (hex digits, whitespace and ``#`` comments
ignored, messages back to back), and the hand-made messages below, which reach what captures
rarely hold (2-octet AS paths with AS4_PATH, ADD-PATH, Extended Message, RFC 9072 OPEN,
NOTIFICATION data, unknown attributes).
Files are named by the SHA-1 of their content, as libFuzzer names what it finds.

Cutting is done here, by the length field alone, not by bgpwire, so that a framer bug cannot
hide seeds. The script needs only the standard library.

    python fuzz/make_corpus.py [--out fuzz/corpus]
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import re
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
SAMPLES = ROOT / "bgpwire" / "samples"
MARKER = b"\xff" * 16
OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE_REFRESH = 1, 2, 3, 4, 5
WELL_KNOWN, OPTIONAL, OPTIONAL_TRANSITIVE, PARTIAL = 0x40, 0x80, 0xC0, 0x20


def cut(stream: bytes) -> Iterator[bytes]:
    """The messages of a back-to-back stream; stops at the first header that is not one."""
    start = 0
    while len(stream) - start >= 19 and stream[start:start + 16] == MARKER:
        length = struct.unpack_from("!H", stream, start + 16)[0]
        if length < 19 or start + length > len(stream):
            break
        yield stream[start:start + length]
        start += length


def read_hex(path: Path) -> bytes:
    text = re.sub(r"#[^\n]*", "", path.read_text())
    return bytes.fromhex("".join(text.split()))


# --- hand-made messages ---------------------------------------------------------------------


def message(kind: int, body: bytes) -> bytes:
    return MARKER + struct.pack("!HB", 19 + len(body), kind) + body


def attr(flags: int, code: int, value: bytes) -> bytes:
    if len(value) > 255:
        return struct.pack("!BBH", flags | 0x10, code, len(value)) + value
    return struct.pack("!BBB", flags, code, len(value)) + value


def prefixes(*items: str, path_id: int | None = None) -> bytes:
    out = b""
    for item in items:
        net = ipaddress.ip_network(item)
        size = (net.prefixlen + 7) // 8
        if path_id is not None:
            out += struct.pack("!I", path_id)
        out += bytes((net.prefixlen,)) + net.network_address.packed[:size]
    return out


def update(withdrawn: bytes = b"", attributes: bytes = b"", nlri: bytes = b"") -> bytes:
    body = struct.pack("!H", len(withdrawn)) + withdrawn
    body += struct.pack("!H", len(attributes)) + attributes + nlri
    return message(UPDATE, body)


def as_path(*segments: tuple[int, list[int]], width: int = 4) -> bytes:
    fmt = "!%dI" if width == 4 else "!%dH"
    return b"".join(struct.pack("!BB", kind, len(asns)) + struct.pack(fmt % len(asns), *asns)
                    for kind, asns in segments)


def capability(code: int, value: bytes) -> bytes:
    return struct.pack("!BB", code, len(value)) + value


def open_message(asn: int, caps: bytes, *, extended: bool = False) -> bytes:
    fixed = struct.pack("!BHH4s", 4, asn, 90, bytes((10, 0, 0, 1)))
    if extended:  # RFC 9072: non-extended length 255, type 255, two-octet length
        params = struct.pack("!BH", 2, len(caps)) + caps
        return message(OPEN, fixed + struct.pack("!BBH", 255, 255, len(params)) + params)
    params = struct.pack("!BB", 2, len(caps)) + caps
    return message(OPEN, fixed + bytes((len(params),)) + params)


def mp_reach(afi: int, next_hop: bytes, nlri: bytes) -> bytes:
    value = struct.pack("!HBB", afi, 1, len(next_hop)) + next_hop + b"\x00" + nlri
    return attr(OPTIONAL | 0x10, 14, value)


def mp_unreach(afi: int, withdrawn: bytes) -> bytes:
    return attr(OPTIONAL | 0x10, 15, struct.pack("!HB", afi, 1) + withdrawn)


def hand_made() -> list[bytes]:
    v4 = bytes((192, 0, 2, 1))
    v6 = ipaddress.IPv6Address("2001:db8::1").packed
    v6_local = ipaddress.IPv6Address("fe80::1").packed
    base = (attr(WELL_KNOWN, 1, b"\x00")
            + attr(WELL_KNOWN, 2, as_path((2, [65001, 4200000001, 65003])))
            + attr(WELL_KNOWN, 3, v4))
    caps = (capability(1, struct.pack("!HBB", 1, 0, 1))
            + capability(1, struct.pack("!HBB", 2, 0, 1))
            + capability(2, b"") + capability(65, struct.pack("!I", 4200000001))
            + capability(6, b"") + capability(69, struct.pack("!HBB", 1, 1, 3))
            + capability(64, struct.pack("!HHBB", 120, 1, 1, 0x80)) + capability(9, b"\x03")
            + capability(73, b"\x04host\x00"))
    stream_parts = [
        open_message(23456, caps),
        message(KEEPALIVE, b""),
        update(attributes=base, nlri=prefixes("198.51.100.0/24")),
        update(),
    ]
    return [
        *stream_parts,
        b"".join(stream_parts),
        open_message(65001, caps, extended=True),
        open_message(65001, b""),
        update(
            attributes=base
            + attr(OPTIONAL, 4, struct.pack("!I", 100))
            + attr(WELL_KNOWN, 5, struct.pack("!I", 200))
            + attr(WELL_KNOWN, 6, b"")
            + attr(OPTIONAL_TRANSITIVE, 7, struct.pack("!I4s", 65001, v4))
            + attr(OPTIONAL_TRANSITIVE, 8, struct.pack("!3I", 0xFDE90001, 0xFFFFFF01, 0xFFFFFF02))
            + attr(OPTIONAL_TRANSITIVE, 16, bytes.fromhex("0002fde900000001" "0102c00002010064"))
            + attr(OPTIONAL_TRANSITIVE, 32, struct.pack("!6I", 4200000001, 1, 2, 65001, 3, 4))
            + attr(OPTIONAL_TRANSITIVE | PARTIAL, 99, b"unknown"),
            nlri=prefixes("10.0.0.0/8", "192.168.1.0/24", "1.2.3.4/32", "0.0.0.0/0"),
        ),
        update(  # a 2-octet session: AS_TRANS in AS_PATH, the real path in AS4_PATH
            attributes=attr(WELL_KNOWN, 1, b"\x02")
            + attr(WELL_KNOWN, 2, as_path((2, [65001, 23456]), (1, [65010, 65011]), width=2))
            + attr(WELL_KNOWN, 3, v4)
            + attr(OPTIONAL_TRANSITIVE, 7, struct.pack("!H4s", 23456, v4))
            + attr(OPTIONAL_TRANSITIVE, 17, as_path((2, [65001, 4200000001]), (1, [65010, 65011])))
            + attr(OPTIONAL_TRANSITIVE, 18, struct.pack("!I4s", 4200000001, v4)),
            nlri=prefixes("203.0.113.0/24"),
        ),
        update(  # route reflection
            attributes=base + attr(WELL_KNOWN, 5, struct.pack("!I", 100))
            + attr(OPTIONAL, 9, v4) + attr(OPTIONAL, 10, v4 + bytes((192, 0, 2, 2))),
            nlri=prefixes("100.64.0.0/10"),
        ),
        update(withdrawn=prefixes("10.0.0.0/8", "192.168.1.0/24")),
        update(attributes=base, nlri=prefixes("10.1.0.0/16", path_id=1) + prefixes(
            "10.1.0.0/16", path_id=2)),
        update(withdrawn=prefixes("10.1.0.0/16", path_id=7)),
        update(attributes=attr(WELL_KNOWN, 1, b"\x00") + attr(WELL_KNOWN, 2, b"")
               + mp_reach(2, v6, prefixes("2001:db8::/32", "::/0", "2001:db8:1::1/128"))),
        update(attributes=attr(WELL_KNOWN, 1, b"\x00") + attr(WELL_KNOWN, 2, b"")
               + mp_reach(2, v6 + v6_local, prefixes("2001:db8:2::/48", path_id=9))),
        update(attributes=mp_unreach(2, prefixes("2001:db8::/32"))),
        update(attributes=mp_unreach(2, b"")),  # End-of-RIB, IPv6 unicast
        update(attributes=base, nlri=prefixes(*(f"10.{i // 256}.{i % 256}.0/24"
                                                  for i in range(1500)))),  # > 4096: Extended
        message(NOTIFICATION, b"\x06\x02" + b"\x0fmaintenance now"),
        message(NOTIFICATION, b"\x04\x00"),
        message(NOTIFICATION, b"\x03\x0b" + attr(WELL_KNOWN, 2, b"\x02\x01")),
        message(ROUTE_REFRESH, struct.pack("!HBB", 1, 0, 1)),
        message(ROUTE_REFRESH, struct.pack("!HBB", 2, 1, 1)),
    ]


def build(out: Path) -> int:
    seeds: list[bytes] = []
    for path in sorted([*VECTORS.rglob("*.bin"), *SAMPLES.glob("*.bin")]):
        seeds += cut(path.read_bytes())
    for path in sorted(VECTORS.rglob("*.hex")):
        seeds += cut(read_hex(path))
    seeds += hand_made()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if old.is_file():
            old.unlink()
    names = set()
    for seed in seeds:
        name = hashlib.sha1(seed).hexdigest()
        if name not in names:
            names.add(name)
            (out / name).write_bytes(seed)
    return len(names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "fuzz" / "corpus")
    args = parser.parse_args()
    count = build(args.out)
    size = sum(path.stat().st_size for path in args.out.iterdir())
    print(f"{count} seeds, {size} bytes in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
