"""Saved posts: seed golden, profiles, safe YAML, safe file names, identity, atomic writes (F09, F10, L03, L04)."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from seedpage import SEED_BODY, SEED_TITLE, SHARE_PATH

from newscli.errors import SaveError, StateError, UsageError
from newscli.models import Article
from newscli.posts.atomic import atomic_write, check_directory
from newscli.posts.folder import PostFolder, save_post
from newscli.posts.frontmatter import clean_text, front_matter
from newscli.posts.index import SavedIndex
from newscli.posts.names import article_key, numbered, safe_filename
from newscli.posts.post import PostOptions, parse_set, render_post

TESTS = Path(__file__).parent
GOLDEN = TESTS / "data" / "golden"
SEED_FILE = next(Path("/work/shared/seed").glob("*.md"), None)
CST = timezone(timedelta(hours=8))
URL = "http://127.0.0.1:8000" + SHARE_PATH
DATE = datetime(2024, 5, 17, 20, 10, 6, tzinfo=timezone.utc)
SEED_ARTICLE = Article(
    url=URL,
    id=URL,
    title=SEED_TITLE,
    published=datetime(2022, 5, 17, 20, 10, 6, tzinfo=CST),
    source="科技日报",
    site_name="东方财富网",
    lang="zh",
    html=SEED_BODY,
)
FOOTER = r"<{url}>\n\n[返回{source}新闻](//finews.withounder.com/category/{source_pinyin}.html)｜[返回首页](//finews.withounder.com/)"
SEED_OPTIONS = PostOptions(
    profile="jekyll",
    body="html",
    sets=(("categories", "{source_pinyin}"), ("tags", "{source}新闻")),
    footer=FOOTER,
)
# Jekyll's front-matter pattern (Ruby, where ^/$ are line anchors and \s is ASCII)
JEKYLL_FM = re.compile(r"\A(---\s*\n.*?\n?)^((---|\.\.\.)\s*$\n?)", re.DOTALL | re.MULTILINE | re.ASCII)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty output directory (tmp_path itself also holds NEWSCLI_HOME)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


def check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("NEWSCLI_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{path} differs (NEWSCLI_REGEN_GOLDEN=1 rewrites it)"


def load_front_matter(text: str) -> tuple[dict[str, object], dict[str, object]]:
    """The front matter as PyYAML (1.1) and ruamel.yaml (1.2) read it, where Jekyll finds it."""
    m = JEKYLL_FM.match(text)
    assert m is not None, "Jekyll would not see front matter"
    assert m.group(1) == front_matter_of(text)[: -len("---\n")]  # the end delimiter is where we put it
    inner = m.group(1)[len("---\n") :]
    y11 = yaml.safe_load(inner)
    y12 = YAML(typ="safe", pure=True).load(inner)
    return y11, y12


def front_matter_of(text: str) -> str:
    """Our own layout: the front matter ends at the first line that is exactly '---' after the first."""
    end = text.index("\n---\n", 3) + len("\n---\n")
    return text[:end]


# ---- the seed, golden ----------------------------------------------------------------------------


def test_seed_golden_jekyll(out: Path) -> None:
    with SavedIndex() as index:
        saved = save_post(SEED_ARTICLE, out, SEED_OPTIONS, index=index)
    assert saved.status == "new"
    assert saved.path.parent == out
    assert saved.path.name.startswith("2022-05-17-") and saved.path.name.endswith(".md")
    data = saved.path.read_bytes()
    check_golden("seed-jekyll.md", data)
    text = data.decode("utf-8")

    # front matter lines byte-identical to the seed post's
    fm = front_matter_of(text)
    assert fm.splitlines() == [
        "---",
        "layout: post",
        'title: "从“弯道超车”到“换道超车” 科技创新为克拉玛依高质量发展提供最强引擎"',
        "date: 2022-05-17 20:10:06 +0800",
        "categories: kejiribao",
        "tags: 科技日报新闻",
        "---",
    ]
    body, _, footer = text[len(fm) :].partition("\n\n<")
    assert re.findall(r"<p[^>]*>.*?</p>", body) == re.findall(r"<p[^>]*>.*?</p>", SEED_BODY)
    assert len(re.findall(r"<p[^>]*>", body)) == 28
    assert "<" + footer == (
        f"<{URL}>\n\n[返回科技日报新闻](//finews.withounder.com/category/kejiribao.html)｜[返回首页](//finews.withounder.com/)"
    )
    if SEED_FILE is not None:  # the whole file is the seed's, but for the share page's host
        seed = SEED_FILE.read_bytes().decode("utf-8")
        assert fm == front_matter_of(seed)
        assert text == seed.replace("http://finews.zning.xyz/", "http://127.0.0.1:8000/")


def test_seed_saved_again_is_untouched(out: Path) -> None:
    with SavedIndex() as index:
        first = save_post(SEED_ARTICLE, out, SEED_OPTIONS, index=index)
        os.utime(first.path, ns=(1_000_000_000, 1_000_000_000))  # an old mtime: any rewrite would show
        again = save_post(SEED_ARTICLE, out, SEED_OPTIONS, index=index)
    assert again == type(first)(first.path, "unchanged")
    assert first.path.stat().st_mtime_ns == 1_000_000_000
    assert sorted(p.name for p in out.iterdir()) == [first.path.name]


def test_seed_golden_hugo(out: Path) -> None:
    article = Article(
        url=URL,
        id=URL,
        title=SEED_TITLE,
        published=datetime(2022, 5, 17, 20, 10, 6, tzinfo=CST),
        source="科技日报",
        categories=("科技",),
        tags=("克拉玛依", "科技创新", "yes"),
        html=SEED_BODY,
    )
    options = PostOptions(profile="hugo", footer="原文：<{url}>")
    saved = save_post(article, out, options)
    data = saved.path.read_bytes()
    check_golden("seed-hugo.md", data)
    text = data.decode("utf-8")
    assert text.startswith(
        "---\n"
        'title: "从“弯道超车”到“换道超车” 科技创新为克拉玛依高质量发展提供最强引擎"\n'
        "date: 2022-05-17T20:10:06+08:00\n"
        "draft: false\n"
        "categories:\n  - 科技\n"
        'tags:\n  - 克拉玛依\n  - 科技创新\n  - "yes"\n'
        f"source_url: {URL}\n"
        "---\n"
        "从凹陷区致密砾岩"
    )
    y11, y12 = load_front_matter(text)
    assert y11 == y12
    assert y11["draft"] is False and y11["tags"] == ["克拉玛依", "科技创新", "yes"]
    assert y11["date"] == datetime(2022, 5, 17, 20, 10, 6, tzinfo=CST)  # a real timestamp for Hugo
    assert "\n\n**创新的基因融入血脉之中**\n\n" in text
    assert text.endswith(f"\n\n原文：<{URL}>")


def test_plain_profile_and_markdown_body_without_footer() -> None:
    article = Article(
        title="Hello", url="https://e.com/a", author="Zhang San", source="Xinhua", text="Para *one*."
    )
    text = render_post(
        article, PostOptions(profile="plain"), now=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    )
    assert text == (
        '---\ntitle: "Hello"\ndate: 2024-01-02T03:04:05+00:00\nurl: https://e.com/a\n'
        "author: Zhang San\nsource: Xinhua\n---\nPara \\*one\\*.\n"
    )


def test_set_overrides_in_place_and_appends_new_keys() -> None:
    article = Article(
        title="T", categories=("a", "b"), published=datetime(2022, 1, 1, tzinfo=CST), source="S"
    )
    options = PostOptions(sets=(("extra", "{source}"), ("title", "[{source}] {title}"), ("layout", "news")))
    fm = front_matter_of(render_post(article, options))
    assert fm == (
        '---\nlayout: news\ntitle: "[S] T"\ndate: 2022-01-01 00:00:00 +0800\ncategories:\n  - a\n  - b\n'
        "extra: S\n---\n"
    )


def test_no_categories_no_tags_are_left_out() -> None:
    fm = front_matter_of(render_post(Article(title="T"), PostOptions(), now=datetime(2022, 1, 1, tzinfo=CST)))
    assert fm == '---\nlayout: post\ntitle: "T"\ndate: 2022-01-01 00:00:00 +0800\n---\n'


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (PostOptions(profile="wordpress"), "--profile: unknown profile 'wordpress'"),
        (PostOptions(body="pdf"), "--body: unknown body 'pdf'"),
        (PostOptions(sets=(("tags", "{tag}"),)), "--set tags: unknown field {tag}"),
        (PostOptions(sets=(("bad key", "x"),)), "--set bad key: bad field name"),
        (PostOptions(sets=(("on", "x"),)), "--set on: bad field name"),  # YAML 1.1 reads the key `on` as True
        (PostOptions(footer="{url"), "--footer: malformed template"),
        (PostOptions(filename="{titel}.md"), "--filename: unknown field {titel}"),
        (PostOptions(filename="  "), "--filename: empty template"),
    ],
)
def test_options_check(options: PostOptions, message: str) -> None:
    with pytest.raises(UsageError) as info:
        options.check()
    assert str(info.value).startswith(message)
    assert info.value.exit_code == 2


def test_parse_set() -> None:
    assert parse_set("tags={source}新闻") == ("tags", "{source}新闻")
    assert parse_set("x=a=b") == ("x", "a=b")
    with pytest.raises(UsageError, match="expected KEY=TEMPLATE"):
        parse_set("tags")


# ---- YAML safety (F09 and properties) -------------------------------------------------------------

F09_TITLES = [
    "[bold]red[/bold] [/] [link=https://evil.example]x[/link]",
    "&#27;[31m entity",
    ":warning: :smile:",
    "esc \x1b[31mred\x1b[0m osc \x1b]52;c;ZXZpbA==\x07 csi \x9b31m",
    "bidi \u202egnp.exe\u202c and \u2066iso\u2069",
    "nul \x00 byte",
    "key: value # comment",
    "---",
    "...",
    "yes",
    "No",
    "ON",
    "y",
    "~",
    "null",
    "1e3",
    "0o17",
    "0x1F",
    "0E0",
    ".inf",
    "1_000",
    "1:20",
    "2022-05-17",
    "2022-05-17 20:10:06 +08:00",
    "nel\x85line",
    "ls\u2028ps\u2029",
    'quote " and \\ backslash',
    "'single'",
    "  padded  ",
    "@at",
    "*star",
    "&amp",
    "!tag",
    "%pct",
    "|pipe",
    ">gt",
    "?q",
    "- dash",
    "[flow]",
    "{flow}",
    ",comma",
    "`tick",
    "#hash",
    "<<",
    "=",
    "line\nbreak\r\n",
    "tab\there",
    "\ufeffbom",
    "",
]


@pytest.mark.parametrize("title", F09_TITLES)
def test_f09_front_matter_round_trips(title: str, out: Path) -> None:
    article = Article(title=title, author=title, id="f09", published=datetime(2022, 5, 17, tzinfo=CST))
    options = PostOptions(sets=(("categories", "{title}"), ("extra", "{title}")), filename="{title}.md")
    saved = save_post(article, out, options)
    text = saved.path.read_text(encoding="utf-8")
    y11, y12 = load_front_matter(text)
    expected = clean_text(title)
    for loaded in (y11, y12):
        assert loaded["title"] == expected
        assert loaded["categories"] == expected
        assert loaded["extra"] == expected
    fm = front_matter_of(text)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]", fm)
    assert saved.path.parent == out


def test_plain_scalars_where_safe_quoted_otherwise() -> None:
    fm = front_matter(
        [
            ("a", "kejiribao"),
            ("b", "科技日报新闻"),
            ("c", "yes"),
            ("d", "1e3"),
            ("e", "a: b"),
            ("f", "http://x/y#z"),
        ]
    )
    assert fm == '---\na: kejiribao\nb: 科技日报新闻\nc: "yes"\nd: "1e3"\ne: "a: b"\nf: http://x/y#z\n---\n'


TRICKY = st.sampled_from(F09_TITLES)
ANY_TEXT = st.one_of(
    st.text(),
    TRICKY,
    st.builds(lambda a, b: a + b, TRICKY, st.text()),
    st.builds(lambda a, b: a + b, st.text(), TRICKY),
    st.text(alphabet="yYnNeEoO0123456789._:+- -#'\"\\\n\t~xX", max_size=12),
)


@settings(max_examples=200, deadline=None)
@given(title=ANY_TEXT, author=ANY_TEXT, value=ANY_TEXT)
def test_property_front_matter_loads_to_the_same_strings(title: str, author: str, value: str) -> None:
    # the value goes in through a field and as a template's literal text (braces doubled)
    article = Article(title=title, author=author, url="https://e.com/x", description=value)
    literal = value.replace("{", "{{").replace("}", "}}")
    options = PostOptions(profile="plain", sets=(("extra", "{description}"), ("tags", literal)))
    text = render_post(article, options, now=datetime(2022, 5, 17, tzinfo=CST))
    y11, y12 = load_front_matter(text)
    for loaded in (y11, y12):
        assert loaded["title"] == clean_text(title)
        assert loaded.get("author", "") == clean_text(author)
        assert loaded["extra"] == clean_text(value)
        assert loaded["tags"] == clean_text(value)


# ---- file names (F10 and properties) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2022-05-17-hello.md", "2022-05-17-hello.md"),
        ("../../x.md", "x.md"),
        ("/etc/cron.d/x", "etc-cron.d-x.md"),
        ("..", "untitled-{h}.md"),
        ("", "untitled-{h}.md"),
        ("???.md", "untitled-{h}.md"),
        ("CON", "_CON.md"),
        ("con.md", "_con.md"),
        ("nul.txt.md", "_nul.txt.md"),
        ("LPT9 .md", "_LPT9.md"),
        ("a\x00b\x1bc\u202ed.md", "abcd.md"),
        ('a\\b:c*d?e|f<g>h"i.md', "a-b-c-d-e-f-g-h-i.md"),
        (" .hidden. .md", "hidden.md"),
        ("-rf.md", "rf.md"),
        ("标题：科技.MD", "标题：科技.md"),
        ("Version 2.0", "Version 2.0.md"),
    ],
)
def test_safe_filename_table(name: str, expected: str) -> None:
    import hashlib

    h = hashlib.sha256(b"seed").hexdigest()[:8]
    assert safe_filename(name, fallback_seed="seed") == expected.replace("{h}", h)


def test_long_chinese_name_cut_on_character_boundary_keeping_extension() -> None:
    name = safe_filename("科" * 100 + ".md", fallback_seed="x")  # 300 bytes of Han
    assert name == "科" * 84 + ".md"
    assert len(name.encode("utf-8")) == 255


def check_component(name: str, directory: Path) -> None:
    assert name and "/" not in name and "\\" not in name and "\x00" not in name
    assert name not in (".", "..") and not name.startswith((".", " ", "-"))
    assert len(name.encode("utf-8")) <= 255
    assert (directory / name).resolve().parent == directory.resolve()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=ANY_TEXT)
def test_property_safe_filename_is_one_component(title: str, tmp_path: Path) -> None:
    for template in (title, title + ".md", title * 40):
        name = safe_filename(template, fallback_seed="id")
        check_component(name, tmp_path)
        assert safe_filename(name, fallback_seed="other") == name  # stable
        assert numbered(name, 1) == name  # its own first variant: a save tries it as it is
    # and the file system agrees
    path = tmp_path / safe_filename(title * 40, fallback_seed="id")
    path.write_bytes(b"x")
    path.unlink()


F10_TITLES = ["../../x", "/etc/cron.d/x", "..", "CON", "nul.txt", "科技" * 50, "", "???", "same", "same"]


@pytest.mark.parametrize("filename", ["{title}.md", "{date:%Y-%m-%d}-{slug}.md", "{title}"])
def test_f10_hostile_titles_stay_inside_dir_unique_none_overwritten(filename: str, tmp_path: Path) -> None:
    out = tmp_path / "posts"
    out.mkdir()
    (out / "same.md").write_bytes(b"someone else's file\n")  # not ours: must survive
    options = PostOptions(filename=filename)
    articles = [
        Article(
            title=t, id=f"id-{i}", html=f"<p>article {i}</p>", published=datetime(2022, 5, 17, tzinfo=CST)
        )
        for i, t in enumerate(F10_TITLES)
    ]
    with SavedIndex() as index:
        saved = [save_post(a, out, options, index=index) for a in articles]
    assert all(s.status == "new" for s in saved)
    names = [s.path.name for s in saved]
    assert len(set(names)) == len(articles)
    for s, a in zip(saved, articles, strict=True):
        check_component(s.path.name, out)
        assert s.path.read_text(encoding="utf-8") == render_post(a, options)
    assert (out / "same.md").read_bytes() == b"someone else's file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["newscli-home", "posts"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "same.md"])


# ---- identity and collisions -------------------------------------------------------------------------


def article(n: int = 1, title: str = "Same title", body: str = "<p>body</p>") -> Article:
    return Article(
        title=title, id=f"https://e.com/{n}", html=body, published=datetime(2022, 5, 17, 9, 0, tzinfo=CST)
    )


def test_different_articles_same_name_get_numbered(out: Path) -> None:
    with SavedIndex() as index:
        names = [save_post(article(n), out, PostOptions(), index=index).path.name for n in (1, 2, 3)]
    assert names == ["2022-05-17-same-title.md", "2022-05-17-same-title-2.md", "2022-05-17-same-title-3.md"]


def test_same_article_changed_content_rewrites_its_own_file(out: Path) -> None:
    with SavedIndex() as index:
        save_post(article(1), out, PostOptions(), index=index)
        second = save_post(article(2), out, PostOptions(), index=index)
        updated = save_post(article(2, body="<p>new body</p>"), out, PostOptions(), index=index)
        # even when its title (and so the name the template gives) changed
        renamed = save_post(article(2, title="Other", body="<p>v3</p>"), out, PostOptions(), index=index)
    assert updated == type(second)(second.path, "updated")
    assert renamed == type(second)(second.path, "updated")
    assert "v3" in second.path.read_text(encoding="utf-8")
    assert "body" in (out / "2022-05-17-same-title.md").read_text(encoding="utf-8")
    assert len(list(out.iterdir())) == 2


def test_without_index_identical_bytes_mean_same_article(out: Path) -> None:
    first = save_post(article(1), out, PostOptions())
    os.utime(first.path, ns=(5_000_000_000, 5_000_000_000))
    assert save_post(article(1), out, PostOptions()) == type(first)(first.path, "unchanged")
    assert first.path.stat().st_mtime_ns == 5_000_000_000
    # unknown owner and different bytes: never overwritten
    other = save_post(article(1, body="<p>changed</p>"), out, PostOptions())
    assert other.path.name == "2022-05-17-same-title-2.md" and other.status == "new"
    assert "changed" not in first.path.read_text(encoding="utf-8")


def test_deleted_file_is_written_again(out: Path) -> None:
    with SavedIndex() as index:
        first = save_post(article(1), out, PostOptions(), index=index)
        first.path.unlink()
        again = save_post(article(1), out, PostOptions(), index=index)
    assert again == type(first)(first.path, "new")


def test_index_lives_in_newscli_home(out: Path) -> None:
    with SavedIndex() as index:
        save_post(SEED_ARTICLE, out, SEED_OPTIONS, index=index)
        db = index.path
    assert db == Path(os.environ["NEWSCLI_HOME"]) / "newscli.db"
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT directory, id, filename, length(sha256) FROM saved").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    assert rows == [(os.path.realpath(out), URL, rows[0][2], 64)]
    assert rows[0][2].startswith("2022-05-17-")
    assert mode == "wal"


def test_concurrent_saves_never_share_a_file(out: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with SavedIndex() as index, ThreadPoolExecutor(8) as pool:
        saved = list(
            pool.map(lambda n: save_post(article(n % 6), out, PostOptions(), index=index), range(24))
        )
    by_id: dict[str, set[Path]] = {}
    for n, s in enumerate(saved):
        by_id.setdefault(f"https://e.com/{n % 6}", set()).add(s.path)
    assert all(len(paths) == 1 for paths in by_id.values())  # one file per article
    assert len({next(iter(p)) for p in by_id.values()}) == 6  # and six different files
    assert len(list(out.iterdir())) == 6


def test_two_folder_objects_on_one_folder_still_take_turns(out: Path) -> None:
    """The lock is the real folder's, not the object's: two PostFolders (one via a symlink) never share a file."""
    from concurrent.futures import ThreadPoolExecutor

    link = out.parent / "link"
    link.symlink_to(out, target_is_directory=True)
    with PostFolder.open(out) as a, PostFolder.open(link) as b, ThreadPoolExecutor(8) as pool:
        saved = list(pool.map(lambda n: (a, b)[n % 2].save(article(n % 6), PostOptions()), range(24)))
    assert len({s.path.name for s in saved}) == 6
    assert len(list(out.iterdir())) == 6


def test_folder_closes_only_the_index_it_opened(out: Path) -> None:
    with SavedIndex() as index:
        with PostFolder(out, index) as borrowed:
            borrowed.save(article(1), PostOptions())
        assert index.lookup(out, "https://e.com/1") is not None  # still open after the folder closed
    with PostFolder.open(out) as own:
        assert own.save(article(1), PostOptions()).status == "unchanged"
    with pytest.raises(StateError, match="index is closed"):
        own.save(article(2), PostOptions())


def test_adopt_takes_back_an_unrecorded_file_of_the_same_post_only(out: Path) -> None:
    """After a crash between writing and recording, the post's own file is recognised by its title line."""
    page = Article(title="Digest 2022-05-17", id="digest:2022-05-17", html="<p>v1</p>")
    options = PostOptions(filename="2022-05-17-digest.md")
    save_post(page, out, options)  # written without an index: nobody owns it
    stranger = out / "2022-05-17-other.md"
    stranger.write_text("---\ntitle: Something else\n---\nmine\n", encoding="utf-8")
    with PostFolder.open(out) as folder:
        newer = Article(title=page.title, id=page.id, html="<p>v2</p>")
        folder.adopt("2022-05-17-digest.md", page.id or "", render_post(newer, options))
        folder.adopt("2022-05-17-other.md", "digest:other", render_post(newer, options))
        saved = folder.save(newer, options)
        assert folder.index is not None and folder.index.owner(out, "2022-05-17-other.md") is None
    assert saved == type(saved)(out / "2022-05-17-digest.md", "updated")
    assert "v2" in saved.path.read_text(encoding="utf-8")
    assert stranger.read_text(encoding="utf-8").endswith("mine\n")


def test_corrupt_index_is_a_state_error(tmp_path: Path) -> None:
    db = tmp_path / "bad.db"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError) as info:
        SavedIndex(db)
    assert str(info.value) == f"{db}: database is corrupt"


def test_saved_file_is_readable_like_any_file(out: Path) -> None:
    saved = save_post(article(1), out, PostOptions())
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(saved.path.stat().st_mode) == 0o666 & ~umask


# ---- atomic writes, disk full (L03), not writable (L04) ----------------------------------------------

_SUBPROCESS = """
import resource, signal, sys
from pathlib import Path
from newscli.errors import SaveError
from newscli.models import Article
from newscli.posts.folder import save_post
from newscli.posts.post import PostOptions
from newscli.posts.index import SavedIndex

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
out = Path(sys.argv[1])
limit = int(sys.argv[2])
index = SavedIndex() if sys.argv[3] == "index" else None
big = Article(title="Same title", id="https://e.com/1", html="<p>" + "x" * 100_000 + "</p>")
if limit >= 0:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    save_post(big, out, PostOptions(), index=index)
except SaveError as exc:
    print(f"{exc.kind}|{exc.exit_code}|{exc}")
else:
    print("saved")
"""


def run_saver(out: Path, *, limit: int = -1, index: bool = False, unprivileged: bool = False) -> str:
    cmd = [sys.executable, "-c", _SUBPROCESS, str(out), str(limit), "index" if index else "none"]
    if unprivileged and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot take away root's write access")
        # root ignores file modes; without these capabilities it cannot
        cmd = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=TESTS.parent)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_l03_disk_full_names_the_file_and_leaves_old_files_intact(out: Path) -> None:
    with SavedIndex() as index:
        old = save_post(
            Article(title="Same title", id="https://e.com/1", html="<p>old</p>"),
            out,
            PostOptions(),
            index=index,
        )
    before = old.path.read_bytes()
    result = run_saver(out, limit=4096, index=True)
    assert result == f"save|1|{old.path}: disk full"
    assert old.path.read_bytes() == before
    assert [p.name for p in out.iterdir()] == [old.path.name]  # no temporary file left


def test_l03_disk_full_for_a_new_file(out: Path) -> None:
    (out / "other.md").write_bytes(b"other\n")
    result = run_saver(out, limit=4096)
    assert result.startswith(f"save|1|{out}/") and result.endswith(".md: disk full")
    assert [p.name for p in out.iterdir()] == ["other.md"]


def test_l04_not_writable(out: Path) -> None:
    out_dir = out / "ro"
    out_dir.mkdir()
    (out_dir / "keep.md").write_bytes(b"keep\n")
    out_dir.chmod(0o555)
    try:
        result = run_saver(out_dir, unprivileged=True)
    finally:
        out_dir.chmod(0o755)
    assert result.startswith(f"save|1|{out_dir}") and result.endswith(": not writable")
    assert sorted(p.name for p in out_dir.iterdir()) == ["keep.md"]
    assert (out_dir / "keep.md").read_bytes() == b"keep\n"


def test_check_directory_before_any_work(out: Path) -> None:
    check_directory(out / "new" / "dir")
    assert (out / "new" / "dir").is_dir() and not list((out / "new" / "dir").iterdir())
    (out / "file").write_bytes(b"")
    with pytest.raises(SaveError) as info:
        check_directory(out / "file" / "sub")
    assert str(info.value) == f"{out / 'file' / 'sub'}: not a directory"
    with pytest.raises(SaveError, match="not a directory"):
        check_directory(out / "file")


def test_atomic_write_failure_keeps_old_file_and_leaves_no_temp(out: Path) -> None:
    target = out / "post.md"
    target.write_bytes(b"old")
    (out / "dir.md").mkdir()
    with pytest.raises(SaveError) as info:
        atomic_write(out / "dir.md", b"new")  # rename onto a directory fails after the temp file exists
    assert str(info.value).startswith(str(out / "dir.md") + ": ")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in out.iterdir()) == ["dir.md", "post.md"]


def test_atomic_write_without_replace_never_clobbers(out: Path) -> None:
    target = out / "post.md"
    target.write_bytes(b"theirs")
    with pytest.raises(FileExistsError):
        atomic_write(target, b"mine", replace=False)
    assert target.read_bytes() == b"theirs"
    assert [p.name for p in out.iterdir()] == ["post.md"]


def test_temp_names_stay_short_for_long_file_names(out: Path) -> None:
    name = safe_filename("科" * 100, fallback_seed="x")
    atomic_write(out / name, b"x")
    assert [p.name for p in out.iterdir()] == [name]


# ---- undated articles keep the date they were first saved with ----------------------------------------


UNDATED = Article(
    url="https://www.example.cn/news/1.html",
    id="https://www.example.cn/news/1.html",
    title="无日期的文章",
    lang="zh",
    html="<p>第一版。</p>",
)


def _front_date(path: Path) -> str:
    return next(line for line in path.read_text(encoding="utf-8").split("\n") if line.startswith("date:"))


@pytest.mark.parametrize("profile", ["jekyll", "hugo"])
def test_undated_article_keeps_its_first_date_and_file(out: Path, tmp_path: Path, profile: str) -> None:
    # jekyll posts name their URL only in a footer (as the seed's does); hugo's front matter has it
    options = PostOptions(profile=profile, body="markdown", footer="<{url}>" if profile == "jekyll" else None)
    first_day = datetime(2024, 5, 17, 9, 30, tzinfo=timezone.utc)
    later = datetime(2024, 6, 2, 8, 0, tzinfo=timezone.utc)
    with SavedIndex() as index:
        first = save_post(UNDATED, out, options, index=index, now=first_day)
        again = save_post(UNDATED, out, options, index=index, now=later)
        assert again == type(first)(first.path, "unchanged")
        changed = save_post(
            dataclasses.replace(UNDATED, html="<p>第二版。</p>"), out, options, index=index, now=later
        )
    assert changed == type(first)(first.path, "updated")  # its own file, rewritten: no `-2`
    assert first.path.name.startswith("2024-05-17-")
    stamp = "2024-05-17 09:30:00 +0000" if profile == "jekyll" else "2024-05-17T09:30:00+00:00"
    assert _front_date(first.path) == f"date: {stamp}"

    # a new state directory: the post in DIR says when it was first saved, and is rewritten in place
    with SavedIndex(tmp_path / "fresh" / "newscli.db") as index:
        third = save_post(
            dataclasses.replace(UNDATED, html="<p>第三版。</p>"), out, options, index=index, now=later
        )
    assert third == type(first)(first.path, "updated")
    assert sorted(p.name for p in out.iterdir()) == [first.path.name]
    assert _front_date(first.path) == f"date: {stamp}" and "第三版" in first.path.read_text(encoding="utf-8")


def test_undated_article_without_its_url_in_the_post_is_recognised_only_unchanged(
    out: Path, tmp_path: Path
) -> None:
    # no URL anywhere in the file: a post of the same title may be another article's
    options = PostOptions(profile="jekyll")
    first_day = datetime(2024, 5, 17, 9, 30, tzinfo=timezone.utc)
    later = datetime(2024, 6, 2, 8, 0, tzinfo=timezone.utc)
    with SavedIndex() as index:
        first = save_post(UNDATED, out, options, index=index, now=first_day)
    changed = dataclasses.replace(UNDATED, html="<p>别的。</p>")
    with SavedIndex(tmp_path / "fresh" / "newscli.db") as index:
        other = save_post(changed, out, options, index=index, now=later)
    assert other.status == "new" and other.path != first.path  # never over a file it cannot prove its own
    assert "第一版" in first.path.read_text(encoding="utf-8")
    with SavedIndex(tmp_path / "fresh2" / "newscli.db") as index:  # unchanged: its bytes prove it
        assert save_post(UNDATED, out, options, index=index, now=later) == type(first)(
            first.path, "unchanged"
        )


def test_post_saved_before_first_dates_were_kept_keeps_its_date(out: Path) -> None:
    options = PostOptions(profile="hugo")
    with SavedIndex() as index:
        first = save_post(
            UNDATED, out, options, index=index, now=datetime(2024, 5, 17, 9, 30, tzinfo=timezone.utc)
        )
        index.db.execute("UPDATE saved SET first_date = NULL")  # as a database of the previous version has it
        changed = dataclasses.replace(UNDATED, html="<p>第二版。</p>")
        again = save_post(changed, out, options, index=index, now=datetime(2024, 6, 2, tzinfo=timezone.utc))
    assert again == type(first)(first.path, "updated")
    assert _front_date(first.path) == "date: 2024-05-17T09:30:00+00:00"


def test_undated_chinese_article_is_dated_in_shanghai(out: Path) -> None:
    with SavedIndex() as index:
        saved = save_post(UNDATED, out, PostOptions(profile="hugo"), index=index)
    assert _front_date(saved.path).endswith("+08:00")
    with SavedIndex() as index:  # and saved again later, the same date to the second
        assert save_post(UNDATED, out, PostOptions(profile="hugo"), index=index).status == "unchanged"


def test_saved_index_from_before_first_dates_is_migrated(tmp_path: Path, out: Path) -> None:
    path = tmp_path / "old" / "newscli.db"
    path.parent.mkdir()
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE saved (directory TEXT NOT NULL, id TEXT NOT NULL, filename TEXT NOT NULL,"
        " sha256 TEXT NOT NULL, PRIMARY KEY (directory, id));"
    )
    db.execute("INSERT INTO saved VALUES ('/x', 'a', 'a.md', 'sha')")
    db.commit()
    db.close()
    with SavedIndex(path) as index:
        assert index.lookup(Path("/x"), "a") == ("a.md", "sha")
        assert index.first_date(Path("/x"), "a") is None
        saved = save_post(
            UNDATED, out, PostOptions(), index=index, now=datetime(2024, 5, 17, tzinfo=timezone.utc)
        )
        assert index.first_date(out, article_key(UNDATED)) == "2024-05-17T00:00:00+00:00"
    assert saved.path.name.startswith("2024-05-17-")


# ---- article text stays literal on Jekyll and Hugo sites (real builds: tests/test_sites.py) --------------


def test_jekyll_marks_only_posts_whose_code_holds_liquid() -> None:
    plain = Article(title="{{ t }}", html="<p>Text {{ page.title }} and {% if %}.</p>", published=DATE)
    text = render_post(plain, PostOptions(profile="jekyll"))
    assert "render_with_liquid" not in text and "&#123;{ page.title }}" in text and "&#123;% if %}" in text
    coded = dataclasses.replace(plain, html="<pre><code>{{ page.title }}</code></pre>")
    text = render_post(coded, PostOptions(profile="jekyll"))
    assert "\nrender_with_liquid: false\n---\n" in text and "{{ page.title }}" in text
    assert "render_with_liquid" not in render_post(coded, PostOptions(profile="hugo"))


def test_hugo_writes_shortcodes_in_code_in_its_own_escape() -> None:
    coded = Article(
        title="t", html="<p><code>{{< x >}}</code> <code>{{% y %}}</code> <code>{{< open</code></p>"
    )
    body = render_post(coded, PostOptions(profile="hugo")).split("---\n", 2)[2]
    assert body == "`{{</* x */>}}` `{{%/* y */%}}` `{\u2060{< open`\n"


def test_footer_runs_the_sites_template_but_not_the_articles_text() -> None:
    article = Article(title="{{ page.title }}", url="https://e.com/{% x %}", published=DATE, html="<p>b</p>")
    options = PostOptions(profile="jekyll", footer="{title} <{url}> {{{{ site.url }}}}")
    text = render_post(article, options)
    assert text.endswith("\n\n&#123;{ page.title }} <https://e.com/&#123;% x %}> {{ site.url }}")
    assert "render_with_liquid" not in text  # the site's own `{{ site.url }}` still runs


def test_hugo_html_bodies_are_html_files() -> None:
    assert PostOptions(profile="hugo", body="html").name_template == "{date:%Y-%m-%d}-{slug}.html"
    assert PostOptions(profile="hugo").name_template == "{date:%Y-%m-%d}-{slug}.md"
    assert PostOptions(profile="jekyll", body="html").name_template == "{date:%Y-%m-%d}-{slug}.md"


@pytest.mark.parametrize("title", [None, "", "---", "???"])
def test_untitled_posts_get_a_stable_slug(out: Path, title: str | None) -> None:
    article = Article(id="tag:e.com,2024:1", title=title, published=DATE, html="<p>b</p>")
    saved = save_post(article, out, PostOptions())
    assert re.fullmatch(r"\d{4}-\d\d-\d\d-untitled-[0-9a-f]{8}\.md", saved.path.name), saved.path.name
    assert save_post(article, out, PostOptions()).path == saved.path


def test_a_rewrite_takes_no_mode_from_a_symlinks_target(out: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("private\n")
    os.chmod(secret, 0o600)
    (out / "post.md").symlink_to(secret)
    atomic_write(out / "post.md", b"new post\n")
    written = out / "post.md"
    assert not written.is_symlink() and written.read_bytes() == b"new post\n"
    assert (
        written.stat().st_mode & 0o777 == 0o666 & ~_current_umask()
    )  # the usual mode, not the target's 0600
    assert secret.read_text() == "private\n" and secret.stat().st_mode & 0o777 == 0o600


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_archiving_never_moves_or_copies_a_planted_symlink(out: Path, tmp_path: Path) -> None:
    from datetime import date

    target = tmp_path / "elsewhere.md"
    target.write_text("---\ntitle: not ours\ndate: 2020-01-01\n---\nsecret\n")
    (out / "2020-01-01-planted.md").symlink_to(target)
    (out / "2020-01-01-old.md").write_text("---\ntitle: old\n---\nold post\n")
    archive = tmp_path / "archive"
    archive.mkdir()
    planned: list[str] = []
    warnings: list[str] = []
    moved = PostFolder(out).archive(
        archive, date(2021, 1, 1), dry_run=False, planned=planned, warnings=warnings
    )
    assert [dst.name for _, dst in moved] == ["2020-01-01-old.md"]
    assert sorted(p.name for p in archive.iterdir()) == ["2020-01-01-old.md"]
    assert (out / "2020-01-01-planted.md").is_symlink() and target.read_text().endswith("secret\n")


def test_short_text_cache_keeps_short_texts_only() -> None:
    """Names and keys a run computes many times are cached; a hostile feed's huge title is computed, never kept."""
    from newscli.models import CACHED_CHARS, short_text_cache

    calls: list[str] = []

    @short_text_cache(8)
    def shout(text: str, suffix: str) -> str:
        calls.append(text)
        return text.upper() + suffix

    assert shout("a", "!") == shout("a", "!") == "A!"
    assert calls == ["a"]  # computed once
    huge = "x" * CACHED_CHARS
    assert shout(huge, "!") == shout(huge, "!") == huge.upper() + "!"
    assert calls == ["a", huge, huge]  # over the bound (both texts counted): computed each time, not held
