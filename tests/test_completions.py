"""Shell completions: checked in, up to date with the app, and working in a real bash without Python."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "completions"
BASH_FILE = COMPLETIONS / "newscli.bash"
ZSH_FILE = COMPLETIONS / "_newscli"
FISH_FILE = COMPLETIONS / "newscli.fish"
BASH = shutil.which("bash") or "/bin/bash"
FORMATS = ["html", "json", "markdown", "ndjson", "rich", "text"]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_completions", ROOT / "scripts" / "gen_completions.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


GEN = _generator()
TREE = GEN.load_tree()
HAS_FEEDS = any(sub.path == ("feeds",) for sub in TREE.subcommands)
HAS_DIGEST = any(sub.path == ("digest",) for sub in TREE.subcommands)
needs_feeds = pytest.mark.skipif(not HAS_FEEDS, reason="`feeds` is not mounted in newscli.cli.app yet")
needs_digest = pytest.mark.skipif(not HAS_DIGEST, reason="`digest` is not mounted in newscli.cli.app yet")


def complete(*words: str, path: str | None = None) -> list[str]:
    """COMPREPLY of the bash completion function for the command line `words` (the last one is the cursor's)."""
    script = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _newscli; printf "%s\\n" "${COMPREPLY[@]}"'
    env = {"PATH": path if path is not None else os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    result = subprocess.run(
        [BASH, "--norc", "--noprofile", "-c", script, "bash", str(BASH_FILE), *words],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=10,
    )
    assert result.returncode == 0, result.stderr
    return sorted(line for line in result.stdout.splitlines() if line)


def test_regenerating_changes_nothing():
    files = GEN.render(TREE)
    assert sorted(p.name for p in files) == ["_newscli", "newscli.bash", "newscli.fish"]
    for path, text in files.items():
        assert path.read_text("utf-8") == text, f"{path.name} is stale: run python scripts/gen_completions.py"


def test_check_finds_stale_files_and_passes_on_the_checked_in_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(GEN, "OUT", tmp_path)
    assert GEN.stale(GEN.render(TREE)) == [
        tmp_path / "newscli.bash",
        tmp_path / "_newscli",
        tmp_path / "newscli.fish",
    ]
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_completions.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_the_model_reads_choices_paths_and_short_names_from_the_app():
    fetch = next(sub for sub in TREE.subcommands if sub.path == ("fetch",))
    options = {o.names[0]: o for o in fetch.options}
    assert options["--format"].names == ("--format", "-f")
    assert options["--format"].choices == ("rich", "text", "markdown", "json", "ndjson", "html")
    assert options["--profile"].choices == ("jekyll", "hugo", "plain")
    assert options["--body"].choices == ("html", "markdown")
    assert options["--save"].kind == "dir"
    assert options["--full"].negations == ("--no-full",)
    assert not options["--debug"].takes_value
    assert options["--help"].names == ("--help", "-h")
    assert fetch.arguments[0].kind == "file"


def test_bash_script_parses():
    subprocess.run(["bash", "-n", str(BASH_FILE)], check=True, timeout=10)


def test_bash_completes_format_values():
    assert complete("newscli", "fetch", "--format", "") == FORMATS
    assert complete("newscli", "fetch", "-f", "nd") == ["ndjson"]
    # bash splits --format=j at "="
    assert complete("newscli", "fetch", "--format", "=", "j") == ["json"]


@needs_feeds
def test_bash_completes_commands_by_prefix():
    assert complete("newscli", "f") == ["feeds", "fetch"]
    assert complete("newscli", "feeds", "") == ["add", "export", "import", "list", "remove"]


def test_bash_completes_options_and_choice_values():
    assert complete("newscli", "fetch", "--pro") == ["--profile"]
    assert complete("newscli", "fetch", "--profile", "") == ["hugo", "jekyll", "plain"]
    assert complete("newscli", "fetch", "URL", "--body", "") == ["html", "markdown"]
    assert complete("newscli", "fetch", "-n", "5", "--no") == ["--no-full", "--no-render"]
    assert complete("newscli", "--v") == ["--version"]


def test_bash_option_values_are_not_taken_for_subcommands_or_arguments(tmp_path):
    # "fetch" as the value of --since is not a command; a free value offers nothing
    assert complete("newscli", "fetch", "--since", "") == []
    assert complete("newscli", "fetch", "--since", "2d", "--pro") == ["--profile"]


def test_bash_completes_paths(tmp_path):
    (tmp_path / "site" / "posts").mkdir(parents=True)
    (tmp_path / "site" / "page.html").write_text("<p>x</p>")
    prefix = str(tmp_path / "site") + "/"
    assert complete("newscli", "fetch", prefix) == [prefix + "page.html", prefix + "posts"]
    assert complete("newscli", "fetch", "--save", prefix) == [prefix + "posts"]


def test_bash_runs_no_program_for_static_completions(tmp_path):
    # An empty PATH: no python, no newscli; everything but feed names still completes.
    assert complete("newscli", "fetch", "--format", "", path=str(tmp_path)) == FORMATS
    assert complete("newscli", "fetch", "--pro", path=str(tmp_path)) == ["--profile"]
    for text in (BASH_FILE.read_text("utf-8"), ZSH_FILE.read_text("utf-8"), FISH_FILE.read_text("utf-8")):
        code = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        assert not [line for line in code if "python" in line.lower()]
        # the one program they run, for feed names, with its errors kept off the terminal
        calls = [line for line in code if "newscli feeds list --names" in line]
        assert calls and all("newscli feeds list --names 2>/dev/null" in line for line in calls)


def _fake_newscli(tmp_path: Path, names: str) -> str:
    """A PATH whose `newscli feeds list --names` prints `names`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "names.txt").write_text(names, "utf-8")
    fake = bin_dir / "newscli"
    fake.write_text(f'#!/bin/sh\n[ "$*" = "feeds list --names" ] && cat "{tmp_path}/names.txt"\n', "utf-8")
    fake.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin"


@needs_digest
def test_bash_completes_feed_names_from_newscli_feeds_list(tmp_path):
    path = _fake_newscli(tmp_path, "kejiribao\nhacker-news\n$(touch pwned)\n")
    # names are data: quoted for the command line, never expanded
    assert complete("newscli", "digest", "--feed", "", path=path) == [
        r"\$\(touch\ pwned\)",
        "hacker-news",
        "kejiribao",
    ]
    assert complete("newscli", "digest", "--feed", "ke", path=path) == ["kejiribao"]
    assert not (ROOT / "pwned").exists()


@needs_feeds
def test_bash_completes_feed_names_for_feeds_remove(tmp_path):
    path = _fake_newscli(tmp_path, "kejiribao\nhacker-news\n")
    assert complete("newscli", "feeds", "remove", "h", path=path) == ["hacker-news"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_parses():
    subprocess.run(["zsh", "-n", str(ZSH_FILE)], check=True, timeout=10)
    assert ZSH_FILE.read_text("utf-8").startswith("#compdef newscli\n")


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_script_parses_and_completes():
    subprocess.run(["fish", "--no-execute", str(FISH_FILE)], check=True, timeout=10)
    result = subprocess.run(
        ["fish", "--no-config", "-c", f"source {FISH_FILE}; complete -C 'newscli fetch --format '"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert sorted(line.split("\t")[0] for line in result.stdout.splitlines()) == FORMATS
