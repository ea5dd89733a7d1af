"""Templates over article fields: rendering, checking, slugs, pinyin."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from newscli.errors import UsageError
from newscli.models import Article, FeedRef
from newscli.posts.templates import FIELDS, check_template, render_template, unescape
from newscli.slugs import pinyin, slugify

CST = timezone(timedelta(hours=8))
ARTICLE = Article(
    url="https://example.com/a?id=1",
    id="guid-1",
    title="从“弯道超车”到“换道超车” 科技创新",
    source="科技日报",
    site_name="东方财富网",
    published=datetime(2022, 5, 17, 20, 10, 6, tzinfo=CST),
    feed=FeedRef("Feed T", "https://example.com/rss"),
)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{date:%Y-%m-%d}-{slug}.md", "2022-05-17-从-弯道超车-到-换道超车-科技创新.md"),
        ("{source_pinyin}", "kejiribao"),
        ("{source}新闻", "科技日报新闻"),
        ("<{url}>", "<https://example.com/a?id=1>"),
        ("{id}|{site_name}|{feed_title}", "guid-1|东方财富网|Feed T"),
        ("{date:%H:%M %z}", "20:10 +0800"),
        ("{author}|{author:>4}|{updated:%Y}", "||"),  # missing values render as "" whatever the spec
        ("{{literal}}", "{literal}"),
    ],
)
def test_render_template(template: str, expected: str) -> None:
    assert render_template(template, ARTICLE) == expected


def test_date_falls_back_to_updated_then_now_in_its_own_offset() -> None:
    updated = datetime(2021, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))
    assert render_template("{date:%Y-%m-%d %H %z}", Article(updated=updated)) == "2021-01-02 03 -0500"
    now = datetime(2030, 6, 7, 8, 9, 10, tzinfo=timezone.utc)
    assert render_template("{date:%Y-%m-%d}", Article(), now=now) == "2030-06-07"


def test_source_falls_back_to_site_name() -> None:
    article = Article(site_name="Reuters World")
    assert render_template("{source}/{source_pinyin}", article) == "Reuters World/reuters-world"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{foo}", "--set tags: unknown field {foo}; known: title, url, id, slug"),
        ("x{title.__class__}", "--set tags: unknown field {title.__class__}"),
        ("{title[0]}", "--set tags: unknown field {title[0]}"),
        ("{}", "--set tags: unknown field {}"),
        ("{0}", "--set tags: unknown field {0}"),
        ("{title", "--set tags: malformed template '{title'"),
        ("title}", "--set tags: malformed template 'title}'"),
        ("{title:%Y}", "--set tags: bad template '{title:%Y}'"),
    ],
)
def test_check_template_rejects(template: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        check_template(template, what="--set tags")
    assert str(info.value).startswith(message)
    assert info.value.exit_code == 2


def test_check_template_accepts_every_field() -> None:
    check_template("".join("{" + f + "}" for f in FIELDS) + "{date:%Y-%m-%d %H:%M:%S %z}", what="--footer")


def test_render_never_evaluates_attribute_access() -> None:
    with pytest.raises(UsageError):
        render_template("{url.__class__.__mro__}", ARTICLE)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("从“弯道超车”到“换道超车”", "从-弯道超车-到-换道超车"),
        ("  --Café  Ünïcode--  ", "cafe-unicode"),
        ("ＡＢＣ１２３ 全角", "abc123-全角"),
        ("../../etc/passwd", "etc-passwd"),
        ("???", ""),
        ("Новости дня", "новости-дня"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_slug_field_is_bounded() -> None:
    slug = render_template("{slug}", Article(title="word " * 100))
    assert 0 < len(slug) <= 80
    assert not slug.endswith("-")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("科技日报", "kejiribao"),
        ("重庆晨报", "chongqingchenbao"),
        ("CCTV新闻", "cctvxinwen"),
        ("Reuters", "reuters"),
    ],
)
def test_pinyin(text: str, expected: str) -> None:
    assert pinyin(text) == expected


def test_pypinyin_only_imported_when_a_template_uses_it() -> None:
    code = (
        "import sys\n"
        "from newscli.models import Article\n"
        "from newscli.posts.templates import render_template, check_template\n"
        "check_template('{title}-{source_pinyin}', what='x')\n"
        "render_template('{title}-{slug}-{source}', Article(title='t', source='科技日报'))\n"
        "print('pypinyin' in sys.modules)\n"
        "render_template('{source_pinyin}', Article(title='t', source='科技日报'))\n"
        "print('pypinyin' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


def test_unescape_turns_backslash_n_into_newline() -> None:
    assert unescape(r"<{url}>\n\nend\tx\\n") == "<{url}>\n\nend\tx\\n"
