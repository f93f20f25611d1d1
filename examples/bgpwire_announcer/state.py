"""The state file: each service's addresses, so a restart keeps them (``--state FILE``).

In a cluster the Services' status is the shared truth; the state file only carries one node's
allocations across its own restarts (and is the only memory of a run outside a cluster).

The file is JSON::

    {"format": "bgpwire-announcer-state", "version": 1,
     "services": {"ns/name": {"ips": ["10.0.0.1", "2001:db8::1"], "pool": "default"}}}

Writes are atomic: a temporary file in the same directory is written, flushed and fsynced, renamed
over the old one, and the directory fsynced; a crash or SIGTERM at any point leaves either the old
file or the new one, never a mix. The next save removes temporary files a crash left behind.

A file that cannot be read (truncated, corrupt, wrong types, another format version) raises
:class:`StateError` naming the file and what is wrong, and is never replaced blindly: ``save``
refuses to overwrite a file that does not read back as a valid state file unless called with
``force=True`` (the operator has looked at it, or moved it aside).
"""

from __future__ import annotations

import ipaddress
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bgpwire_announcer.allocate import Assignment

FORMAT = "bgpwire-announcer-state"
VERSION = 1


class StateError(Exception):
    """The state file cannot be used; the message names the file and the reason."""


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


class StateFile:
    """One state file. ``load`` reads it, ``save`` replaces it atomically."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._trusted: tuple[int, int, int] | None = None
        """The stamp of the file as we last read or wrote it: a save over that same file needs
        no second reading."""

    def load(self) -> dict[str, Assignment]:
        """The remembered assignments; ``{}`` when the file does not exist."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise StateError(f"state file {self.path}: cannot read: {error.strerror}") from None
        stamp = _stamp(self.path)
        assignments = self._parse(data)
        self._trusted = stamp
        return assignments

    def save(self, assignments: Mapping[str, Assignment], *, force: bool = False) -> None:
        """Replace the file with ``assignments``, atomically.

        Raises :class:`StateError` when the file on disk is not a valid state file (it may hold
        something an operator wants back) unless ``force`` is true.
        """
        if not force:
            self._check_replaceable()
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "services": {
                key: {"ips": list(assignment.ips), "pool": assignment.pool}
                for key, assignment in sorted(assignments.items())
            },
        }
        data = (json.dumps(payload, indent=1, sort_keys=True) + "\n").encode()
        directory = self.path.parent
        descriptor, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_fd)
        finally:
            os.close(directory_fd)
        self._trusted = _stamp(self.path)
        for stale in directory.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)

    def _check_replaceable(self) -> None:
        stamp = _stamp(self.path)
        if stamp is None or stamp == self._trusted:
            return
        try:
            self._parse(self.path.read_bytes())
        except StateError as error:
            raise StateError(
                f"{error}; not overwritten (move it aside, or save with force=True)") from None
        except OSError as error:
            raise StateError(f"state file {self.path}: cannot read: {error.strerror}; "
                             "not overwritten") from None

    def _parse(self, data: bytes) -> dict[str, Assignment]:
        def bad(what: str) -> StateError:
            return StateError(f"state file {self.path}: {what}")

        try:
            document: Any = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise bad(f"not valid JSON (truncated or corrupt?): {error}") from None
        if not isinstance(document, dict):
            raise bad(f"top level is a JSON {type(document).__name__}, expected an object")
        if document.get("format") != FORMAT:
            raise bad(f"format={document.get('format')!r}: expected {FORMAT!r}")
        version = document.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise bad(f"version={version!r}: expected an integer")
        if version != VERSION:
            age = "newer" if version > VERSION else "older"
            raise bad(f"version={version}: {age} than version {VERSION}, the one this "
                      "announcer reads")
        services = document.get("services")
        if not isinstance(services, dict):
            raise bad(f"services={services!r:.60}: expected an object of services")
        result: dict[str, Assignment] = {}
        for key, entry in services.items():
            result[key] = self._entry(key, entry, bad)
        return result

    @staticmethod
    def _entry(key: str, entry: Any, bad: Callable[[str], StateError]) -> Assignment:
        if "/" not in key:
            raise bad(f"services key {key!r}: expected namespace/name")
        if not isinstance(entry, dict):
            raise bad(f"services[{key!r}]={entry!r:.60}: expected an object")
        ips, pool = entry.get("ips"), entry.get("pool")
        if not isinstance(pool, str) or not pool:
            raise bad(f"services[{key!r}].pool={pool!r}: expected a pool name")
        if not isinstance(ips, list) or not ips:
            raise bad(f"services[{key!r}].ips={ips!r:.60}: expected a list of addresses")
        for ip in ips:
            try:
                if not isinstance(ip, str):
                    raise TypeError(ip)
                ipaddress.ip_address(ip)
            except (TypeError, ValueError):
                raise bad(f"services[{key!r}].ips: {ip!r} is not an IP address") from None
        return Assignment(tuple(ips), pool)
