"""Noticing that the configuration files changed, without inotify.

The announcer polls: every second it takes a fingerprint of its inputs (each file's path, size,
modification time and inode; a directory's YAML and JSON files, recursively) and reloads when the
fingerprint differs. Polling a stat per file is cheap next to the reload it may trigger, works on
every filesystem (including the symlink swaps Kubernetes does for mounted ConfigMaps, which change
the inode), and needs nothing beyond the standard library.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")

Fingerprint = tuple[tuple[str, int, int, int], ...]
"""(path, size, mtime in ns, inode) of every input file, sorted by path; missing ones as -1."""


def fingerprint(paths: Sequence[str]) -> Fingerprint:
    """The current fingerprint of ``paths`` (files, or directories of config files)."""
    entries: list[tuple[str, int, int, int]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*")
                           if p.suffix in CONFIG_SUFFIXES and p.is_file()
                           and not _hidden(p.relative_to(path)))
        else:
            files = [path]
        for file in files:
            try:
                stat = os.stat(file)
            except OSError:
                entries.append((str(file), -1, -1, -1))
                continue
            entries.append((str(file), stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return tuple(sorted(entries))


def _hidden(relative: Path) -> bool:
    """Skipped like the loader skips them: a name starting with ``.`` anywhere below the
    directory (the ``..data`` links of a mounted ConfigMap; the visible links that point
    into it change inode when Kubernetes swaps them, which the fingerprint sees)."""
    return any(part.startswith(".") for part in relative.parts)


class ChangeWatcher:
    """Tells, each time it is asked, whether the inputs changed since the last answer."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = tuple(paths)
        self._last = fingerprint(self.paths)

    def changed(self) -> bool:
        now = fingerprint(self.paths)
        if now == self._last:
            return False
        self._last = now
        return True
