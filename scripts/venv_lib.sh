# Shell functions for the scripts that make the peer runtimes' venvs (scripts/peer_venvs.sh, bench/peers.sh).
# Source it after defining say() (how the caller prints) and PYTHON (the interpreter venvs are made with).

# Is `package==version` installed in venv $1 (for each remaining pinned argument), and each unpinned one at all?
has_all() {
    local venv=$1
    shift
    local spec name want got
    for spec in "$@"; do
        name=${spec%%==*}
        got=$("$venv/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')
        if [[ $spec == *==* ]]; then
            want=${spec#*==}
            [ "$got" = "$want" ] || return 1
        else
            [ -n "$got" ] || return 1
        fi
    done
}

# make_venv DIR PACKAGE... : creates DIR if needed and installs the packages (pinned ones must match exactly).
make_venv() {
    local venv=$1
    shift
    if [ -x "$venv/bin/python" ]; then
        say "$venv: exists ($("$venv/bin/python" -V 2>&1))"
    else
        say "$venv: creating with $PYTHON ($("$PYTHON" -V 2>&1))"
        "$PYTHON" -m venv "$venv"
        "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
    fi
    if has_all "$venv" "$@"; then
        say "$venv: $* already installed"
    else
        say "$venv: pip install $*"
        "$venv/bin/python" -m pip install -q "$@"
    fi
}
