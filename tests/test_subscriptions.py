"""Subscriptions: editing the TOML file without losing a byte of the user's own text; `newscli feeds`."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from newscli.cli.feeds import feeds_app
from newscli.config import FeedConfig, load_config
from newscli.errors import ConfigError, UsageError
from newscli.feeds.subscriptions import add_feed, derive_name, list_feeds, remove_feed, url_key

OPML = Path(__file__).parent / "data" / "opml" / "reader-export.opml"
FEED = Path(__file__).parent / "data" / "feeds" / "subscribable.xml"  # titled "Example Tech News"

COMMENTED = """\
# newscli configuration — edited by hand
# (keep this header)

[defaults]
profile = "jekyll"   # the seed site's profile
body = "html"
set = { categories = "{source_pinyin}", tags = "{source}新闻" }
footer = '<{url}>\\n\\n[返回{source}新闻](//finews.withounder.com/category/{source_pinyin}.html)'

# Science and technology
[[feeds]]
name = "keji"
url = "https://www.example.cn/rss/tech.xml"   # moved in 2021
category = "科技"

# Politics: full text always
[[feeds]]
name = "shizheng"
url = "https://www.example.cn/rss/politics.xml"
full = true
footer = \"\"\"
[[feeds]]
this is not a table
\"\"\"

[feeds.set]
tags = "时政"

# Hacker News
[[feeds]]
name = "hn"
url = "https://news.ycombinator.com/rss"

# old feeds, kept for reference:
# [[feeds]]
# url = "https://gone.example/rss"
"""


@pytest.fixture
def config(newscli_home: Path) -> Path:
    path = newscli_home / "config.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    return path


def test_add_then_remove_leaves_the_file_byte_identical(config: Path) -> None:
    before = config.read_bytes()
    feed = add_feed(
        "https://new.example/feed.xml", category="新闻/国际", tags=["a", " b ", "a"], title="新 闻"
    )
    assert feed == FeedConfig(
        name="xin-wen",
        url="https://new.example/feed.xml",
        category="新闻/国际",
        tags=("a", "b"),
        title="新 闻",
    )
    text = config.read_text(encoding="utf-8")
    assert text == COMMENTED + (
        '\n[[feeds]]\nname = "xin-wen"\nurl = "https://new.example/feed.xml"\ntitle = "新 闻"\n'
        'category = "新闻/国际"\ntags = ["a", "b"]\n'
    )
    assert list_feeds()[-1] == feed
    assert remove_feed("xin-wen") == feed
    assert config.read_bytes() == before


def test_add_then_remove_keeps_crlf_files_byte_identical(config: Path) -> None:
    config.write_bytes(COMMENTED.replace("\n", "\r\n").encode("utf-8"))
    before = config.read_bytes()
    add_feed("https://new.example/feed.xml", name="new")
    assert config.read_bytes().endswith(
        b'\r\n\r\n[[feeds]]\r\nname = "new"\r\nurl = "https://new.example/feed.xml"\r\n'
    )
    remove_feed("new")
    assert config.read_bytes() == before


def test_remove_takes_the_feeds_own_comment_and_nothing_else(config: Path) -> None:
    remove_feed("shizheng")
    text = config.read_text(encoding="utf-8")
    start, end = COMMENTED.index("# Politics"), COMMENTED.index("# Hacker News")
    assert text == COMMENTED[:start] + COMMENTED[end:]
    assert [f.name for f in list_feeds()] == ["keji", "hn"]

    remove_feed("hn")  # the last one: the trailing "old feeds" comment stays
    assert (
        config.read_text(encoding="utf-8") == COMMENTED[:start] + COMMENTED[COMMENTED.index("# old feeds") :]
    )

    remove_feed("keji")
    assert (
        config.read_text(encoding="utf-8")
        == COMMENTED[: COMMENTED.index("# Science")] + COMMENTED[COMMENTED.index("# old feeds") :]
    )
    assert load_config(config).defaults.profile == "jekyll"


def test_first_add_creates_the_file_and_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "config.toml"
    add_feed("http://127.0.0.1:8080/feed", path=path)
    assert (
        path.read_text(encoding="utf-8")
        == '[[feeds]]\nname = "127-0-0-1"\nurl = "http://127.0.0.1:8080/feed"\n'
    )
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    remove_feed("127-0-0-1", path=path)
    assert path.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize(
    ("url", "title", "name"),
    [
        ("https://www.stdaily.com/rss/tech.xml", None, "stdaily-tech"),
        ("https://feeds.bbci.co.uk/zhongwen/simp/rss.xml", None, "bbci-zhongwen-simp"),
        ("https://example.com/feed", None, "example"),
        ("https://blog.example.org/index.xml", None, "example"),
        ("http://[::1]:8000/atom.xml", None, "1"),
        ("https://x.example/", "科技日报", "kejiribao"),
        ("https://x.example/", "The Daily: World News!", "the-daily-world-news"),
        ("https://x.example/a", "???", "x-a"),
        ("https://x.example/", "A" * 60, "a" * 40),
    ],
)
def test_derived_names(url: str, title: str | None, name: str) -> None:
    assert derive_name(url, title) == name


def test_derived_name_collisions_get_a_number(config: Path) -> None:
    assert add_feed("https://news.ycombinator.com/best", title="HN").name == "hn-2"
    assert add_feed("https://news.ycombinator.com/newest", title="HN").name == "hn-3"


@pytest.mark.parametrize(
    ("url", "kwargs", "message"),
    [
        (
            "https://www.example.cn/rss/tech.xml/",
            {},
            "already subscribed as 'keji' (https://www.example.cn/rss/tech.xml)",
        ),
        ("http://WWW.EXAMPLE.CN:80/rss/tech.xml", {}, "already subscribed as 'keji'"),
        (
            "https://other.example/feed",
            {"name": "hn"},
            "a feed named 'hn' already exists (https://news.ycombinator.com/rss); choose another --name",
        ),
        (
            "https://other.example/feed",
            {"name": "a b"},
            "a feed name cannot contain spaces, slashes or control",
        ),
        ("https://other.example/feed", {"name": "--all"}, "a feed name cannot start with '-'"),
        ("ftp://other.example/feed", {}, "expected an http(s) URL, got 'ftp://other.example/feed'"),
        ("javascript:alert(1)", {}, "expected an http(s) URL"),
        ("https:///feed", {}, "URL has no host"),
        ("other.example/feed", {}, "expected an http(s) URL"),
    ],
)
def test_refused_additions_leave_the_file_alone(
    config: Path, url: str, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError) as info:
        add_feed(url, **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)
    assert config.read_text(encoding="utf-8") == COMMENTED


def test_url_key_ignores_scheme_case_default_port_and_trailing_slash() -> None:
    assert url_key("HTTPS://Example.COM:443/feed/") == url_key("http://example.com/feed")
    assert url_key("http://example.com/feed?a=1") != url_key("http://example.com/feed?a=2")
    assert url_key("http://example.com:8080/feed") != url_key("http://example.com/feed")


def test_remove_unknown_name_suggests_close_ones(config: Path) -> None:
    with pytest.raises(UsageError, match=r"^no feed named 'kej'; did you mean: keji\?$"):
        remove_feed("kej")
    assert config.read_text(encoding="utf-8") == COMMENTED


def test_an_invalid_config_is_reported_and_never_rewritten(config: Path) -> None:
    broken = COMMENTED.replace('body = "html"', 'body = "pdf"')
    config.write_text(broken, encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"config.toml: line 6: \[defaults\] body: expected one of html, markdown"
    ):
        add_feed("https://new.example/feed")
    assert config.read_text(encoding="utf-8") == broken


def test_inline_feeds_array_is_edited_with_tomlkit(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('# mine\nfeeds = []\n\n[defaults]\nprofile = "hugo"\n', encoding="utf-8")
    add_feed("https://a.example/rss", name="a", path=path)
    assert path.read_text(encoding="utf-8") == (
        '# mine\nfeeds = [{name = "a", url = "https://a.example/rss"}]\n\n[defaults]\nprofile = "hugo"\n'
    )
    remove_feed("a", path=path)
    assert path.read_text(encoding="utf-8") == '# mine\n\n[defaults]\nprofile = "hugo"\n'


def test_writes_are_atomic_keep_the_mode_and_follow_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "newscli.toml"
    real.parent.mkdir()
    real.write_text(COMMENTED, encoding="utf-8")
    real.chmod(0o600)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    add_feed("https://new.example/feed", name="new", path=link)
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8").startswith(COMMENTED)
    assert oct(real.stat().st_mode & 0o777) == oct(0o600)
    assert sorted(os.listdir(real.parent)) == ["newscli.toml"]  # no temporary file left behind


def test_unwritable_folder_is_a_config_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "config.toml").write_text(COMMENTED, encoding="utf-8")
    folder.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="cannot write the configuration: Permission denied"):
            add_feed("https://new.example/feed", path=folder / "config.toml")
    finally:
        folder.chmod(0o700)


# --- the `newscli feeds` commands ---------------------------------------------------------------------

app = typer.Typer()
app.add_typer(feeds_app, name="feeds")


@app.callback()
def _root() -> None:
    """Test root."""


def run(*args: str, input: str | bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["feeds", *args], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", [[], ["add"], ["list"], ["remove"], ["import"], ["export"]])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    code, out, _ = run(*command, "--help")
    assert code == 0
    assert re.search(r"Example:\s+newscli feeds", out)


def test_cli_add_list_remove(newscli_home: Path) -> None:
    code, out, err = run("add", "https://www.example.cn/rss/tech.xml", "--title", "科技日报", "--category", "新闻/科技",
                         "--tags", "科技,新闻", "--tags", "中国", "--no-check")  # fmt: skip
    assert (code, out, err) == (0, "", "newscli: added kejiribao: https://www.example.cn/rss/tech.xml\n")
    assert load_config().feeds[0].tags == ("科技", "新闻", "中国")
    run("add", "https://news.ycombinator.com/rss", "--name", "hn", "--no-check")

    code, out, err = run("list")
    assert code == 0 and err == ""
    assert out == (
        "NAME       CATEGORY   TITLE     URL\n"
        "kejiribao  新闻/科技  科技日报  https://www.example.cn/rss/tech.xml\n"
        "hn         -          -         https://news.ycombinator.com/rss\n"
    )
    assert run("list", "--names") == (0, "kejiribao\nhn\n", "")

    assert run("remove", "hn") == (0, "", "newscli: removed hn: https://news.ycombinator.com/rss\n")
    assert run("list", "--names") == (0, "kejiribao\n", "")


def test_cli_errors_go_to_stderr_with_exit_2(newscli_home: Path) -> None:
    run("add", "https://news.ycombinator.com/rss", "--name", "hn", "--no-check")
    # (refused before any fetching: these URLs are served by nobody, and the answers come without waiting)
    assert run("add", "https://news.ycombinator.com/rss/") == (
        2,
        "",
        "newscli: already subscribed as 'hn' (https://news.ycombinator.com/rss)\n",
    )
    assert run("remove", "hm") == (2, "", "newscli: no feed named 'hm'; did you mean: hn?\n")
    assert run("add", "file:///etc/passwd") == (
        2,
        "",
        "newscli: expected an http(s) URL, got 'file:///etc/passwd'\n",
    )
    (newscli_home / "config.toml").write_text("[defaults\n", encoding="utf-8")
    code, out, err = run("list")
    assert (code, out) == (2, "")
    assert err.startswith(f"newscli: {newscli_home / 'config.toml'}: line 1, column 10: invalid TOML")


def test_cli_add_checks_the_feed_and_names_it_by_its_title(newscli_home: Path, http_server) -> None:
    url = http_server.serve("/rss.xml", FEED.read_bytes(), content_type="application/rss+xml")
    assert run("add", url) == (0, "", f"newscli: added example-tech-news: {url}\n")
    assert http_server.hits("/rss.xml") == 1
    (feed,) = load_config().feeds
    assert (feed.name, feed.url, feed.title) == ("example-tech-news", url, "Example Tech News")

    other = http_server.serve("/other.xml", FEED.read_bytes(), content_type="text/xml")
    assert run("add", other, "--name", "etn", "--title", "My title")[0] == 0
    assert [(f.name, f.title) for f in load_config().feeds][1] == ("etn", "My title")
    # the feed's title is taken; the name derived from it gets a number
    third = http_server.serve("/third.xml", FEED.read_bytes(), content_type="application/rss+xml")
    assert run("add", third) == (0, "", f"newscli: added example-tech-news-2: {third}\n")


def test_cli_add_refuses_a_page_and_names_the_feeds_it_advertises(newscli_home: Path, http_server) -> None:
    http_server.serve("/feed.xml", FEED.read_bytes(), content_type="application/rss+xml")
    page = http_server.serve(
        "/blog/",
        "<!DOCTYPE html><html><head><title>Blog</title>"
        '<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed.xml">'
        '<link rel="alternate" type="application/atom+xml" href="https://blog.example.com/atom.xml">'
        "</head><body><p>Hello</p></body></html>",
    )
    code, out, err = run("add", page)
    assert (code, out) == (3, "")
    assert err.splitlines() == [
        f"newscli: {page}: not a feed, but a page advertising feeds: "
        f"{http_server.url('/feed.xml')} (Posts); https://blog.example.com/atom.xml",
        f"newscli: not subscribed to {page} (--no-check subscribes without fetching it)",
    ]
    assert http_server.hits("/blog/") == 1 and http_server.hits("/feed.xml") == 0
    assert load_config().feeds == ()

    bare = http_server.serve("/about", "<html><head><title>About</title></head><body><p>Hi</p></body></html>")
    code, _, err = run("add", bare)
    assert code == 3
    assert err.startswith(
        f"newscli: {bare}: not a feed (an HTML page advertising none); "
        f"`newscli discover {bare}` also tries the usual paths\n"
    )
    assert load_config().feeds == ()


def test_cli_add_refuses_what_cannot_be_fetched(newscli_home: Path, http_server) -> None:
    gone = http_server.serve("/gone.xml", "not here", status=404, content_type="text/plain")
    code, out, err = run("add", gone)
    assert (code, out) == (3, "")
    assert err.startswith(f"newscli: {gone}: HTTP 404")
    assert err.endswith(f"newscli: not subscribed to {gone} (--no-check subscribes without fetching it)\n")

    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/feed.xml"
    code, _, err = run("add", closed)
    assert code == 3 and err.startswith(f"newscli: {closed}: ") and "not subscribed" in err

    broken = http_server.serve(
        "/broken.xml", b'<?xml version="1.0"?><rss><channel><title>x', content_type="text/xml"
    )
    code, _, err = run("add", broken)
    assert code == 3 and f"newscli: {broken}: cannot parse the feed" in err
    assert load_config().feeds == ()


def test_cli_add_no_check_subscribes_without_fetching(newscli_home: Path, http_server) -> None:
    url = http_server.serve("/private/feed.xml", "login first", status=401, content_type="text/plain")
    assert run("add", url, "--no-check") == (0, "", f"newscli: added 127-0-0-1-private: {url}\n")
    assert http_server.hits("/private/feed.xml") == 0
    # already subscribed: refused before fetching, with or without the check
    assert run("add", url)[0] == 2
    assert http_server.hits("/private/feed.xml") == 0


def test_cli_empty_list_says_how_to_add(newscli_home: Path) -> None:
    assert run("list") == (0, "", "newscli: no feeds subscribed (add one with: newscli feeds add URL)\n")
    assert run("list", "--names") == (0, "", "")


def test_cli_list_shows_hostile_text_inert(newscli_home: Path) -> None:
    (newscli_home / "config.toml").write_text(
        '[[feeds]]\nname = "x"\nurl = "https://x.example/"\ntitle = "evil\\u001b]52;c;AAAA\\u0007\\u202etitle"\n',
        encoding="utf-8",
    )
    code, out, _ = run("list")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "evil]52;c;AAAAtitle" in out


def test_cli_import_and_export(newscli_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run("import", str(OPML))
    assert code == 0 and out == ""
    assert err.splitlines() == [
        "newscli: skipped A page, not a feed: no xmlUrl, not a feed",
        "newscli: skipped Hacker News (again) <https://news.ycombinator.com/rss/>: "
        "already subscribed as 'hacker-news' (https://news.ycombinator.com/rss)",
        "newscli: imported 7 feeds, skipped 2",
    ]
    code, exported, err = run("export")
    assert code == 0 and err == ""
    assert exported.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"')
    assert (
        '<outline type="rss" text="科技日报" title="科技日报" xmlUrl="https://www.stdaily.com/rss/tech.xml"'
        in exported
    )

    # the export, piped into another configuration through stdin, gives the same subscriptions
    other = tmp_path / "other.toml"
    monkeypatch.setenv("NEWSCLI_CONFIG", str(other))
    code, _, err = run("import", "-", input=exported.encode("utf-8"))
    assert (code, err.splitlines()[-1]) == (0, "newscli: imported 7 feeds, skipped 0")
    assert load_config(other).feeds == load_config(newscli_home / "config.toml").feeds


def test_cli_import_errors(newscli_home: Path, tmp_path: Path) -> None:
    assert run("import", str(tmp_path / "missing.opml")) == (
        2,
        "",
        f"newscli: {tmp_path / 'missing.opml'}: cannot read: No such file or directory\n",
    )
    rss = tmp_path / "feed.xml"
    rss.write_text('<rss version="2.0"><channel/></rss>')
    assert run("import", str(rss)) == (2, "", f"newscli: {rss}: not an OPML file (the document is <rss>)\n")
    assert not (newscli_home / "config.toml").exists()


def test_importing_the_feeds_commands_loads_nothing_heavy() -> None:
    import subprocess
    import sys

    code = "import sys, newscli.cli.feeds; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    heavy = {"lxml", "httpx", "rich", "tomlkit", "pypinyin", "feedparser", "platformdirs", "newscli.config"}
    assert {"typer", "newscli.cli.feeds"} <= loaded
    assert loaded & heavy == set()


def test_concurrent_adds_lose_nothing(config: Path) -> None:
    import threading

    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(8):
                add_feed(f"https://t{k}.example/feed/{i}", name=f"t{k}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    names = {feed.name for feed in list_feeds()}
    assert {f"t{k}-{i}" for k in range(4) for i in range(8)} <= names
    assert config.read_text(encoding="utf-8").startswith(COMMENTED)
