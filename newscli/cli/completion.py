"""`newscli completion`: print the packaged static completion script of a shell, or install it where that
shell looks. The scripts (package data, written by scripts/gen_completions.py) run no Python when
completing, except `newscli feeds list --names` for feed names."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from newscli.errors import UsageError

SHELLS = ("bash", "zsh", "fish")
FILES = {"bash": "newscli.bash", "zsh": "_newscli", "fish": "newscli.fish"}
ZSH_FPATH_LINE = "fpath=(~/.zfunc $fpath)"


def script(shell: str) -> str:
    """The completion script of `shell`, as shipped in the package."""
    from importlib.resources import files

    return (files("newscli.cli") / "completions" / FILES[shell]).read_text("utf-8")


def detect_shell(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """The shell $SHELL names, if it is one we have a script for."""
    env = os.environ if environ is None else environ
    name = Path(env.get("SHELL", "")).name
    if name in SHELLS:
        return name
    raise UsageError(
        f"cannot tell your shell from $SHELL ({env.get('SHELL') or 'unset'}): name one of {', '.join(SHELLS)}, "
        "e.g. newscli completion --install bash"
    )


def _dir(env: dict[str, str] | os._Environ[str], variable: str, default: str) -> Path:
    value = env.get(variable, "")
    return Path(value) if os.path.isabs(value) else Path.home() / default  # XDG: relative values are invalid


@dataclass(frozen=True)
class Target:
    """Where a shell loads newscli's completions from, and what the user still has to do."""

    path: Path
    note: str


def target(shell: str, environ: dict[str, str] | os._Environ[str] | None = None) -> Target:
    """The file a shell reads newscli's completion from, in the places its own documentation names."""
    env = os.environ if environ is None else environ
    if shell == "bash":
        # bash-completion loads completions/<command> from here on first TAB (needs the bash-completion package)
        user_dir = env.get("BASH_COMPLETION_USER_DIR", "").split(":")[0]
        base = (
            Path(user_dir)
            if os.path.isabs(user_dir)
            else _dir(env, "XDG_DATA_HOME", ".local/share") / "bash-completion"
        )
        path = base / "completions" / "newscli"
        return Target(path, "New bash shells complete newscli (this needs the bash-completion package).")
    if shell == "fish":
        path = _dir(env, "XDG_CONFIG_HOME", ".config") / "fish" / "completions" / "newscli.fish"
        return Target(path, "New fish shells complete newscli.")
    return Target(
        Path.home() / ".zfunc" / "_newscli",
        "Add this line to ~/.zshrc before compinit runs (if it is not there yet), then start a new zsh:\n"
        f"  {ZSH_FPATH_LINE}",
    )


def install(shell: str, environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """Write the script of `shell` where it looks; what was done, in words for the user."""
    from newscli.posts.atomic import atomic_write

    where = target(shell, environ)
    text = script(shell)
    try:
        old = where.path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        old = None
    if old == text:
        return f"Up to date: {where.path} ({shell} completion for newscli).\n{where.note}"
    try:
        where.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from newscli.errors import SaveError

        raise SaveError(
            f"cannot create the folder: {exc.strerror or exc}", source=str(where.path.parent)
        ) from None
    atomic_write(where.path, text.encode("utf-8"))
    verb = "Updated" if old is not None else "Wrote"
    return f"{verb} {where.path} ({shell} completion for newscli).\n{where.note}"


def run(shell: str | None, *, install_it: bool) -> int:
    """The command body: print the script (or install it) and say what was done."""
    chosen = shell or detect_shell()
    if install_it:
        print(install(chosen))
    else:
        sys.stdout.write(script(chosen))
    return 0
