"""The sample manifests: every ``*-valid.yaml`` passes, every ``*-invalid.yaml`` gives exactly the
lines its ``# expect:`` comments list (other tests and the CLI tests may reuse these files)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bgpwire_announcer.load import load_paths
from bgpwire_announcer.validate import validate

EXAMPLES = Path(__file__).parent / "manifests" / "spec-examples"
EXPECT = "# expect: "


def lines(path: Path) -> list[str]:
    loaded = load_paths([path])
    return [str(p) for p in loaded.problems] + [str(p) for p in validate(loaded.config)]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*-valid.yaml")), ids=lambda p: p.name)
def test_valid_examples(path: Path) -> None:
    assert lines(path) == []


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*-invalid.yaml")), ids=lambda p: p.name)
def test_invalid_examples(path: Path) -> None:
    expected = [line[len(EXPECT):] for line in path.read_text().splitlines()
                if line.startswith(EXPECT)]
    assert expected, f"{path.name} lists no '# expect:' lines"
    assert lines(path) == expected
