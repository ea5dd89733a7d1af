"""Start-up is a feature: importing the CLI loads no heavy library, and every command's --help works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer.main
from typer.testing import CliRunner

from newscli import __version__
from newscli.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
HEAVY = [
    "httpx",
    "feedparser",
    "readability",
    "lxml",
    "rich",
    "yaml",
    "pypinyin",
    "charset_normalizer",
    "sqlite3",
    "tomlkit",
    "platformdirs",
]


def test_importing_the_cli_loads_no_heavy_module():
    code = f"import sys, newscli.cli.app; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == ""


def _commands(group: Any, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group (Typer may vendor click, so no isinstance)
            found += _commands(command, [*prefix, name])
        else:
            found.append([*prefix, name])
    return found


def test_every_command_has_help_with_an_example():
    group = typer.main.get_command(app)
    runner = CliRunner()
    paths = _commands(group, [])
    assert ["fetch"] in paths
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output
        assert "Example" in result.output, path


def _examples(help_text: str) -> list[str]:
    """The lines under every "Example…:" heading of a help text, up to the next blank line."""
    found: list[str] = []
    lines = help_text.splitlines()
    for i, line in enumerate(lines):
        if re.fullmatch(r"  Examples?\b[^:]*:", line):  # a heading of the description, not of an option
            for example in lines[i + 1 :]:
                if not example.strip():
                    break
                found.append(example.strip())
    return found


def test_help_examples_are_one_per_line_at_any_width():
    group = typer.main.get_command(app)
    runner = CliRunner()
    for path in _commands(group, []):
        wide, narrow = (
            runner.invoke(app, [*path, "--help"], terminal_width=width).output for width in (200, 50)
        )
        examples = _examples(wide)
        assert examples, (path, wide)
        assert _examples(narrow) == examples, path  # never rewrapped into a paragraph
        for example in examples:
            assert example.count("newscli ") == 1, (path, example)  # one command line each


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"newscli {__version__}"


def test_feed_name_completion_loads_no_heavy_module(tmp_path):
    """`feeds list --names` runs on every TAB of feed-name completion: names only, nothing heavy (not even
    Typer), the configuration found in its default place (XDG_CONFIG_HOME) without platformdirs."""
    (tmp_path / "newscli").mkdir()
    (tmp_path / "newscli" / "config.toml").write_text(
        '[[feeds]]\nname = "kejiribao"\nurl = "https://www.example.cn/rss/tech.xml"\n\n'
        '[[feeds]]\nname = "新闻"\nurl = "https://news.example/rss.xml"\n',
        "utf-8",
    )
    code = (
        "import sys\n"
        "from newscli.cli.launch import main\n"
        "sys.argv = ['newscli', 'feeds', 'list', '--names']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('loaded:', ' '.join(m for m in {[*HEAVY, 'json', 'typer', 'click', 'difflib']!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("NEWSCLI_CONFIG", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.splitlines() == ["kejiribao", "新闻", "loaded: "]


def test_feed_names_for_completion_are_the_full_commands_and_its_errors_too(tmp_path):
    """The console script answers `feeds list --names` without Typer: the same names as the Typer command
    (cleaned for the terminal), and for a configuration it cannot read, the Typer command's own message and
    exit code."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[[feeds]]\nname = "kejiribao"\nurl = "https://www.example.cn/rss/tech.xml"\n\n'
        '[[feeds]]\nname = "新闻"\nurl = "https://news.example/rss.xml"\n',
        "utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSCLI_CONFIG": str(config), "NO_COLOR": "1"}

    def run(entry: str) -> subprocess.CompletedProcess[str]:
        code = f"import sys; sys.argv = ['newscli', 'feeds', 'list', '--names']; from {entry} import main; main()"
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)

    fast, full = run("newscli.cli.launch"), run("newscli.cli.app")
    assert (fast.returncode, fast.stdout, fast.stderr) == (0, "kejiribao\n新闻\n", "")
    assert (full.returncode, full.stdout, full.stderr) == (0, fast.stdout, "")
    config.write_text('[[feeds]]\nname = "kejiribao"\nurl = \n', "utf-8")  # not TOML
    fast, full = run("newscli.cli.launch"), run("newscli.cli.app")
    assert fast.returncode == full.returncode != 0
    assert fast.stdout == full.stdout == ""
    assert fast.stderr == full.stderr and str(config) in fast.stderr
