# Sourced by scripts/test and scripts/demo: make (or reuse) the project's venv at .venv with the
# project installed in it, refreshed when pyproject.toml changes. Sets PY to its python.
# Needs: die() from the sourcing script; EXTRAS (e.g. "[test]", default none); PIP_EXTRA (more
# packages to install beside the project).

VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV"; then
        # Debian's python3 has no ensurepip without python3-venv.
        [ "$(id -u)" -eq 0 ] || die "python3 -m venv failed; install python3-venv"
        rm -rf "$VENV"
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv \
            && python3 -m venv "$VENV" || die "cannot create $VENV"
    fi
fi
PY=$VENV/bin/python
stamp=$VENV/.bgpwire-deps${EXTRAS:-}
want=$({ "$PY" --version; sha256sum pyproject.toml; echo "${PIP_EXTRA:-}"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    # shellcheck disable=SC2086  # PIP_EXTRA is a list of package names
    "$PY" -m pip install -q -e ".${EXTRAS:-}" ${PIP_EXTRA:-} || die "pip install failed"
    echo "$want" > "$stamp"
fi
