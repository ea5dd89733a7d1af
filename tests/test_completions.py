"""Shell completions: checked in as package data, up to date with the app, printed and installed by
`newscli completion`, and working in a real bash without Python (also from an installed wheel)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "newscli" / "cli" / "completions"
BASH_FILE = COMPLETIONS / "newscli.bash"
ZSH_FILE = COMPLETIONS / "_newscli"
FISH_FILE = COMPLETIONS / "newscli.fish"
GEN_NAMES = {"bash": "newscli.bash", "zsh": "_newscli", "fish": "newscli.fish"}
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


def complete(*words: str, path: str | None = None, script_file: Path = BASH_FILE) -> list[str]:
    """COMPREPLY of the bash completion function for the command line `words` (the last one is the cursor's)."""
    script = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _newscli; printf "%s\\n" "${COMPREPLY[@]}"'
    env = {"PATH": path if path is not None else os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    result = subprocess.run(
        [BASH, "--norc", "--noprofile", "-c", script, "bash", str(script_file), *words],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=10,
    )
    assert result.returncode == 0, result.stderr
    return sorted(line for line in result.stdout.splitlines() if line)


def test_regenerating_changes_nothing():
    # the generator writes the package data itself: there is no second copy to drift
    assert GEN.OUT == COMPLETIONS
    assert not (ROOT / "completions").exists()
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
    assert complete("newscli", "fetch", "-n", "5", "--no") == ["--no-full", "--no-pager", "--no-render"]
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


def need(program: str) -> str:
    """The path of a program the test drives: skipped when absent, but a failure in CI (.ci/run installs it)."""
    found = shutil.which(program) if "/" not in program else (program if Path(program).exists() else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{program} is not installed; CI must have it (.ci/run installs it)")
        pytest.skip(f"{program} is not installed")
    return found


def test_zsh_script_parses():
    need("zsh")
    subprocess.run(["zsh", "-n", str(ZSH_FILE)], check=True, timeout=10)
    assert ZSH_FILE.read_text("utf-8").startswith("#compdef newscli\n")


def test_fish_script_parses_and_completes():
    need("fish")
    subprocess.run(["fish", "--no-execute", str(FISH_FILE)], check=True, timeout=10)
    result = subprocess.run(
        ["fish", "--no-config", "-c", f"source {FISH_FILE}; complete -C 'newscli fetch --format '"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert sorted(line.split("\t")[0] for line in result.stdout.splitlines()) == FORMATS


# ---- newscli completion: the packaged scripts, printed and installed ----------------------------------


def run_newscli(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "newscli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=60,
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_packaged_script(shell):
    result = run_newscli("completion", shell)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (COMPLETIONS / GEN_NAMES[shell]).read_text("utf-8")


def test_completion_without_a_shell_uses_shell_or_says_what_to_do():
    assert run_newscli("completion", env={"SHELL": "/usr/bin/fish"}).stdout == FISH_FILE.read_text("utf-8")
    result = run_newscli("completion", env={"SHELL": "/bin/sh"})
    assert result.returncode == 2 and result.stdout == ""
    assert "$SHELL (/bin/sh)" in result.stderr and "bash, zsh, fish" in result.stderr
    result = run_newscli("completion", "tcsh")
    assert result.returncode == 2 and "tcsh" in result.stderr


def test_bash_completes_the_completion_command():
    assert complete("newscli", "completion", "") == ["bash", "fish", "zsh"]
    assert complete("newscli", "completion", "--install", "z") == ["zsh"]
    assert complete("newscli", "completion", "--in") == ["--install"]


def test_install_bash_honours_xdg_data_home_and_bash_completion_user_dir(tmp_path):
    home = tmp_path / "home"
    result = run_newscli("completion", "--install", "bash", env={"HOME": str(home), "XDG_DATA_HOME": ""})
    installed = home / ".local/share/bash-completion/completions/newscli"
    assert result.returncode == 0, result.stderr
    assert installed.read_text("utf-8") == BASH_FILE.read_text("utf-8")
    assert f"Wrote {installed}" in result.stdout
    # again: nothing to change, and it says so
    result = run_newscli("completion", "--install", "bash", env={"HOME": str(home), "XDG_DATA_HOME": ""})
    assert f"Up to date: {installed}" in result.stdout
    # a stale copy is replaced
    installed.write_text("# old\n", "utf-8")
    result = run_newscli(
        "completion", "--install", env={"HOME": str(home), "SHELL": "/bin/bash", "XDG_DATA_HOME": ""}
    )
    assert f"Updated {installed}" in result.stdout
    assert installed.read_text("utf-8") == BASH_FILE.read_text("utf-8")

    data = tmp_path / "data"
    run_newscli("completion", "--install", "bash", env={"HOME": str(home), "XDG_DATA_HOME": str(data)})
    assert (data / "bash-completion/completions/newscli").is_file()
    user_dir = tmp_path / "bc"
    env = {"HOME": str(home), "XDG_DATA_HOME": str(data), "BASH_COMPLETION_USER_DIR": str(user_dir)}
    run_newscli("completion", "--install", "bash", env=env)
    assert (user_dir / "completions/newscli").is_file()


def test_install_fish_and_zsh(tmp_path):
    home = tmp_path / "home"
    result = run_newscli("completion", "--install", "fish", env={"HOME": str(home), "XDG_CONFIG_HOME": ""})
    assert result.returncode == 0, result.stderr
    assert (home / ".config/fish/completions/newscli.fish").read_text("utf-8") == FISH_FILE.read_text("utf-8")

    result = run_newscli("completion", "--install", "zsh", env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert (home / ".zfunc/_newscli").read_text("utf-8") == ZSH_FILE.read_text("utf-8")
    # the one line the user must add, on a line of its own so it can be copied
    assert "  fpath=(~/.zfunc $fpath)" in result.stdout.splitlines()


def test_install_into_an_unwritable_place_fails_clearly(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".zfunc").write_text("a file, not a folder", "utf-8")
    result = run_newscli("completion", "--install", "zsh", env={"HOME": str(home)})
    assert result.returncode == 1 and result.stdout == ""
    assert str(home / ".zfunc") in result.stderr
    assert "unexpected" not in result.stderr


@pytest.mark.slow
def test_the_built_wheel_ships_license_and_completions_and_completes_in_bash(tmp_path):
    """pip wheel → a fresh venv outside the checkout → `newscli completion bash` completes in a real bash."""
    # build from a copy: setuptools leaves build/ behind, whose stale files would go into later wheels
    source = tmp_path / "source"
    shutil.copytree(ROOT / "newscli", source / "newscli", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    said = build.stdout + build.stderr
    assert "deprecat" not in said.lower() and "BuildBackendWarning" not in said, said  # setuptools' warnings
    (wheel,) = dist.glob("newscli-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        license_files = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert license_files and "MIT License" in archive.read(license_files[0]).decode()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        assert "License-Expression: MIT" in metadata
        for name in ("newscli.bash", "_newscli", "newscli.fish"):
            assert archive.read(f"newscli/cli/completions/{name}") == (COMPLETIONS / name).read_bytes()

    # A fresh venv: newscli from the wheel; its dependencies borrowed from this test's environment (a .pth
    # line, no index needed). The run happens outside the checkout, so nothing can come from ROOT.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    deps = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "deps.pth").write_text("\n".join(deps) + "\n", "utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path / "home"), "LC_ALL": "C.UTF-8"}
    where = subprocess.run(
        [str(venv / "bin" / "newscli"), "--version"],
        capture_output=True,
        text=True,
        env=env,
        cwd=outside,
        timeout=60,
    )
    assert where.returncode == 0, where.stderr
    check = subprocess.run(
        [str(python), "-c", "import newscli, sys; print(newscli.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=outside,
        timeout=60,
    )
    assert check.stdout.startswith(site), check.stdout  # the wheel's copy, not the checkout's

    printed = subprocess.run(
        [str(venv / "bin" / "newscli"), "completion", "bash"],
        capture_output=True,
        text=True,
        env=env,
        cwd=outside,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    script_file = tmp_path / "newscli.bash"
    script_file.write_text(printed.stdout, "utf-8")
    assert complete("newscli", "fetch", "--fo", script_file=script_file) == ["--footer", "--format"]

    installed = subprocess.run(
        [str(venv / "bin" / "newscli"), "completion", "--install", "bash"],
        capture_output=True,
        text=True,
        env=env,
        cwd=outside,
        timeout=60,
    )
    assert installed.returncode == 0, installed.stderr
    target = tmp_path / "home/.local/share/bash-completion/completions/newscli"
    assert f"Wrote {target}" in installed.stdout
    assert complete("newscli", "fetch", "--fo", script_file=target) == ["--footer", "--format"]


BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def _fake_on_path(tmp_path: Path) -> str:
    """A PATH with a `newscli` on it (fish loads a command's completions only for a command it can find)."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    (bin_dir / "newscli").write_text("#!/bin/sh\n", "utf-8")
    (bin_dir / "newscli").chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin"


def test_installed_bash_script_is_what_bash_completion_loads(tmp_path):
    loader = need(BASH_COMPLETION)
    home = tmp_path / "home"
    assert (
        run_newscli(
            "completion", "--install", "bash", env={"HOME": str(home), "XDG_DATA_HOME": ""}
        ).returncode
        == 0
    )
    script = f'source {loader}; __load_completion newscli && complete -p newscli; COMP_WORDS=(newscli fetch --fo); COMP_CWORD=2; _newscli; printf "%s\\n" "${{COMPREPLY[@]}}"'
    result = subprocess.run(
        [BASH, "--norc", "--noprofile", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.splitlines() == ["complete -F _newscli newscli", "--footer", "--format"], (
        result.stderr
    )


def test_installed_fish_script_is_what_fish_loads(tmp_path):
    fish = need("fish")
    home = tmp_path / "home"
    assert (
        run_newscli(
            "completion", "--install", "fish", env={"HOME": str(home), "XDG_CONFIG_HOME": ""}
        ).returncode
        == 0
    )
    result = subprocess.run(
        [fish, "-c", "complete -C 'newscli fetch --fo'"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"HOME": str(home), "PATH": _fake_on_path(tmp_path)},
    )
    assert sorted(line.split("\t")[0] for line in result.stdout.splitlines()) == ["--footer", "--format"], (
        result.stderr
    )


def test_installed_zsh_script_is_found_with_the_printed_fpath_line(tmp_path):
    zsh = need("zsh")
    home = tmp_path / "home"
    installed = run_newscli("completion", "--install", "zsh", env={"HOME": str(home)})
    (line,) = [x.strip() for x in installed.stdout.splitlines() if x.strip().startswith("fpath=")]
    script = f"{line}; autoload -Uz compinit; compinit -u -d {tmp_path}/zcompdump; print -r -- ${{_comps[newscli]}}"
    result = subprocess.run(
        [zsh, "-f", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == "_newscli", result.stderr
