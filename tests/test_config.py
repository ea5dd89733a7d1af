"""The configuration file: where it is, what it holds, and errors that point at the line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from newscli.config import (
    Config,
    Defaults,
    FeedConfig,
    config_path,
    effective,
    load_config,
    state_dir,
)
from newscli.errors import ConfigError, UsageError

EXAMPLE = """\
# newscli configuration
[defaults]
profile = "jekyll"
body = "html"
filename = "{date:%Y-%m-%d}-{slug}.md"
footer = '<{url}>\\n\\n[返回首页](//example.com/)'
set = { categories = "{source_pinyin}", tags = "{source}新闻" }
tz = "Asia/Shanghai"
full = true
out = "_posts"
archive = "~/old_post"
keep-days = 3
user_agent = "newscli-test"
timeout = 20
concurrency = 8
per_host = 4

[[feeds]]
name = "kejiribao"
url = "https://www.example.cn/rss/tech.xml"
title = "科技日报"
category = "新闻 / 科技"
tags = ["科技", "新闻", "科技"]
tz = "+08:00"
encoding = "gb18030"
full = false
profile = "hugo"
set = { categories = "kejiribao" }
footer = "<{url}>"

[[feeds]]
name = "hn"
url = "https://news.ycombinator.com/rss"
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_paths_follow_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSCLI_CONFIG", str(tmp_path / "c.toml"))
    monkeypatch.setenv("NEWSCLI_HOME", str(tmp_path / "state"))
    assert config_path() == tmp_path / "c.toml"
    assert state_dir() == tmp_path / "state"
    assert not (tmp_path / "state").exists()  # asking is not creating


def test_paths_default_to_the_user_dirs(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("NEWSCLI_CONFIG")
    monkeypatch.setenv("NEWSCLI_HOME", "")  # empty counts as unset
    assert config_path() == Path(platformdirs.user_config_dir("newscli")) / "config.toml"
    assert state_dir() == Path(platformdirs.user_data_dir("newscli"))


def test_missing_file_is_an_empty_config(newscli_home: Path) -> None:
    config = load_config()
    assert config == Config(path=newscli_home / "config.toml")
    assert config.feeds == () and config.defaults == Defaults()


def test_example_reads_as_documented(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", EXAMPLE)
    config = load_config(path)
    assert config.defaults == Defaults(
        profile="jekyll",
        body="html",
        sets=(("categories", "{source_pinyin}"), ("tags", "{source}新闻")),
        footer="<{url}>\\n\\n[返回首页](//example.com/)",
        filename="{date:%Y-%m-%d}-{slug}.md",
        tz="Asia/Shanghai",
        full=True,
        user_agent="newscli-test",
        timeout=20.0,
        concurrency=8,
        per_host=4,
        out=tmp_path / "_posts",  # relative to the file's folder
        archive=Path("~/old_post").expanduser(),
        keep_days=3,
    )
    assert config.feeds == (
        FeedConfig(
            name="kejiribao",
            url="https://www.example.cn/rss/tech.xml",
            category="新闻/科技",
            tags=("科技", "新闻"),
            profile="hugo",
            tz="+08:00",
            encoding="gb18030",
            full=False,
            sets=(("categories", "kejiribao"),),
            footer="<{url}>",
            title="科技日报",
        ),
        FeedConfig(name="hn", url="https://news.ycombinator.com/rss"),
    )


def test_module_docstring_example_is_a_valid_config(tmp_path: Path) -> None:
    import newscli.config

    doc = newscli.config.__doc__ or ""
    block = doc.split("Layout::\n\n", 1)[1].split("\n\n", 2)
    text = "\n\n".join(block[:2])
    lines = [line[4:] for line in text.splitlines()]
    config = load_config(write(tmp_path / "doc.toml", "\n".join(lines) + "\n"))
    assert config.feeds[0].name == "kejiribao" and config.defaults.per_host == 6


def test_for_feed_fills_unset_settings_from_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "config.toml", EXAMPLE))
    kejiribao, hn = (config.for_feed(feed) for feed in config.feeds)
    assert (kejiribao.profile, kejiribao.body, kejiribao.tz, kejiribao.full) == (
        "hugo",
        "html",
        "+08:00",
        False,
    )
    assert kejiribao.sets == (("categories", "kejiribao"), ("tags", "{source}新闻"))
    assert kejiribao.footer == "<{url}>"
    assert (hn.profile, hn.tz, hn.full, hn.footer) == (
        "jekyll",
        "Asia/Shanghai",
        True,
        config.defaults.footer,
    )
    assert hn.sets == config.defaults.sets


def test_feed_lookup_suggests_close_names(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "config.toml", EXAMPLE))
    assert config.feed("hn").url == "https://news.ycombinator.com/rss"
    with pytest.raises(UsageError, match=r"^no feed named 'kejirbao'; did you mean: kejiribao\?$"):
        config.feed("kejirbao")
    with pytest.raises(UsageError, match=r"^no feed named 'zzz'; subscribed: kejiribao, hn$"):
        config.feed("zzz")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[defaults]\nprofile = "jekyll"\ntimeout = =\n', "line 3, column 11: invalid TOML: invalid value"),
        (
            '[defaults]\nprofile = "jekyl"\n',
            "line 2: [defaults] profile: expected one of jekyll, hugo, plain, got 'jekyl'",
        ),
        (
            "[defaults]\n\ntimeout = -1\n",
            "line 3: [defaults] timeout: expected a number of seconds above 0, got -1",
        ),
        (
            '[defaults]\nconcurrency = "8"\n',
            "line 2: [defaults] concurrency: expected a whole number of at least 1, got '8'",
        ),
        ("[defaults]\ntz = 8\n", "line 2: [defaults] tz: expected a string, got 8"),
        ('[defaults]\ntz = "Mars/Olympus"\n', "line 2: [defaults] tz: unknown time zone 'Mars/Olympus'"),
        (
            "[defaults]\nset = { tags = 1 }\n",
            'line 2: [defaults] set: expected a table of templates, like set = { tags = "{source}" }',
        ),
        (
            "[defaults]\nconcurency = 3\n",
            "line 2: [defaults] concurency: unknown setting (did you mean 'concurrency'?)",
        ),
        ('profile = "hugo"\n', "line 1: profile: unknown key; settings go in the [defaults] table"),
        ("[feed]\nurl = 'x'\n", "line 1: feed: unknown key (did you mean 'feeds'?)"),
        ("defaults = 3\n", "line 1: defaults: must be a table: [defaults]"),
        (
            "[feeds.hn]\nurl = 'https://x.example/'\n",
            "line 1: feeds: write each feed as its own [[feeds]] table with a name and a url",
        ),
        ('[[feeds]]\nname = "a"\n', "line 1: feed 'a': missing url"),
        ("[[feeds]]\nurl = 'https://x.example/'\n", "line 1: feed 1: missing name"),
        (
            '[[feeds]]\nname = "a"\nurl = "ftp://x.example/"\n',
            "line 3: feed 'a' url: expected an http(s) URL, got 'ftp://x.example/'",
        ),
        (
            '[[feeds]]\nname = "a b"\nurl = "http://x.example/"\n',
            "line 2: feed 'a b' name: a feed name cannot contain spaces",
        ),
        (
            '[[feeds]]\nname = "a"\nurl = "http://x.example/"\n\n[[feeds]]\nname = "a"\nurl = "http://y.example/"\n',
            "line 6: feed 'a' name: 'a' is already the name of feed 1",
        ),
        (
            '[[feeds]]\nname = "a"\nurl = "http://x.example/"\nencoding = "klingon"\n',
            "line 4: feed 'a' encoding: unknown character set 'klingon'",
        ),
        (
            '[[feeds]]\nname = "a"\nurl = "http://x.example/"\nfull = "yes"\n',
            "line 4: feed 'a' full: expected true or false, got 'yes'",
        ),
        (
            '[[feeds]]\nname = "a"\nurl = "http://x.example/"\ntags = [1]\n',
            "line 4: feed 'a' tags: expected a list of strings, got [1]",
        ),
        (
            # a multi-line string holding header-like lines must not confuse the line count
            '[[feeds]]\nname = "a"\nurl = "http://a.example/"\nfooter = """\n[[feeds]]\n"""\n\n'
            '[[feeds]]\nname = "b"\nurl = "http://b.example/"\nbody = "pdf"\n',
            "line 11: feed 'b' body: expected one of html, markdown, got 'pdf'",
        ),
    ],
)
def test_errors_name_file_line_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {message}")
    assert info.value.exit_code == 2


def test_non_utf8_and_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes('[defaults]\nfooter = "科技"\n'.encode("gbk"))
    with pytest.raises(
        ConfigError, match=r"config.toml: line 2: not UTF-8 text \(byte 0xbf\); save the file as UTF-8"
    ):
        load_config(path)
    with pytest.raises(ConfigError, match=r"cannot read the configuration: it is a directory"):
        load_config(tmp_path)
    if os.geteuid() != 0:  # root reads anything
        path.write_text("")
        path.chmod(0)
        with pytest.raises(ConfigError, match="cannot read the configuration: Permission denied"):
            load_config(path)


def test_bom_and_crlf_are_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'\xef\xbb\xbf[defaults]\r\nprofile = "hugo"\r\n')
    assert load_config(path).defaults.profile == "hugo"


@pytest.mark.parametrize(
    ("flag", "env", "file", "default", "expected"),
    [
        ("flag", "env", "file", "default", "flag"),
        (None, "env", "file", "default", "env"),
        (None, None, "file", "default", "file"),
        (None, None, None, "default", "default"),
        (None, "  ", "file", "default", "file"),  # blank environment counts as unset
        (0, "5", 3, 16, 0),  # a falsy flag still wins
        (None, "5", 3, 16, 5),  # converted to the default's type
        (None, "2.5", None, 30.0, 2.5),
        (None, "off", None, True, False),
    ],
)
def test_effective_precedence(
    monkeypatch: pytest.MonkeyPatch,
    flag: object,
    env: str | None,
    file: object,
    default: object,
    expected: object,
) -> None:
    if env is None:
        monkeypatch.delenv("NEWSCLI_TEST_SETTING", raising=False)
    else:
        monkeypatch.setenv("NEWSCLI_TEST_SETTING", env)
    value = effective(flag, "NEWSCLI_TEST_SETTING", file, default)
    assert value == expected and type(value) is type(expected)


def test_effective_bad_environment_value_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSCLI_CONCURRENCY", "lots")
    with pytest.raises(
        UsageError, match=r"^environment variable NEWSCLI_CONCURRENCY='lots': expected a whole number$"
    ):
        effective(None, "NEWSCLI_CONCURRENCY", None, 16)
    assert effective(None, None, None, 16) == 16


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the shortcut is Linux's")
@pytest.mark.parametrize(
    ("xdg", "home"),
    [
        (None, "/home/wang"),
        ("/tmp/xdg-config", "/home/wang"),
        ("", "/home/wang"),
        ("  ", "/root"),
        ("relative", "/h"),
    ],
)
def test_config_path_is_where_platformdirs_puts_it(monkeypatch, xdg, home):
    """The configuration is looked for without importing platformdirs, in the very place it would say."""
    import platformdirs

    monkeypatch.delenv("NEWSCLI_CONFIG", raising=False)
    monkeypatch.setenv("HOME", home)
    if xdg is None:
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg)
    assert config_path() == Path(platformdirs.user_config_dir("newscli")) / "config.toml"
