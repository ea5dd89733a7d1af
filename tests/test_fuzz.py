"""Issue 11: mutated pages, feeds, charset labels and dates raise nothing but NewsError.

Seeds are small valid documents; each example applies a few mutations (random bytes or hostile tokens
inserted, slices deleted or repeated) and runs charset.decode, the extractor, the feed parser and the
date parsers on the result. Fixed seed and a bounded number of examples keep CI fast and repeatable:
NEWSCLI_FUZZ_EXAMPLES=5000 (or NEWSCLI_FUZZ=long) runs longer, NEWSCLI_FUZZ_SEED=N explores elsewhere.
"""

from __future__ import annotations

import os
from datetime import timezone

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from newscli.dates import parse_date, parse_since
from newscli.errors import NewsError
from newscli.feeds.parse import parse_feed
from newscli.models import Article, Fetched
from newscli.page.charset import codec_name, decode
from newscli.page.dates import read_date
from newscli.page.extract import extract_article, quick_article

EXAMPLES = int(
    os.environ.get("NEWSCLI_FUZZ_EXAMPLES") or (5000 if os.environ.get("NEWSCLI_FUZZ") == "long" else 150)
)
SEED = int(os.environ.get("NEWSCLI_FUZZ_SEED") or 20261201)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

WORDS = "The council met on Tuesday to discuss the budget for schools, roads and parks. " * 4
HTML = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>A story</title>'
    '<meta property="article:published_time" content="2024-05-17T10:00:00+08:00">'
    '<script type="application/ld+json">{"@type":"NewsArticle","headline":"A story",'
    '"author":{"name":"Ann"},"datePublished":"2024-05-17 10:00"}</script></head><body><header>Site</header>'
    f"<article><h1>A story</h1><p class=byline>By Ann, 2024年5月17日 10:00</p><p>{WORDS}</p>"
    f'<p>{WORDS}<a href="/x">link</a><img src="a.jpg" srcset="a.jpg 1x, b.jpg 2x"></p></article>'
    "<footer>© 2024</footer></body></html>"
)
RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
    "<channel><title>News</title><link>https://n.example.com/</link><description>d</description>"
    "<item><title>One &amp; two</title><link>https://n.example.com/1</link><guid>g1</guid>"
    "<pubDate>Fri, 17 May 2024 10:00:00 +0800</pubDate><description>Teaser</description>"
    f"<content:encoded><![CDATA[<p>{WORDS}</p>]]></content:encoded></item>"
    "<item><title>Three</title><link>https://n.example.com/3</link><pubDate>2024-05-17 11:00</pubDate></item>"
    "</channel></rss>"
)
ATOM = (
    '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>'
    "<updated>2024-05-17T10:00:00Z</updated><entry><id>urn:a:1</id><title type='html'>T &lt;b&gt;</title>"
    "<link href='https://a.example.com/1'/><updated>2024-05-17T10:00:00+08:00</updated>"
    f"<content type='html'>&lt;p&gt;{WORDS}&lt;/p&gt;</content></entry></feed>"
)
JSONFEED = (
    '{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"https://j.example.com/1",'
    f'"title":"Jay","content_html":"<p>{WORDS}</p>","date_published":"2024-05-17T11:00:00Z",'
    '"authors":[{"name":"Bo"}],"tags":["a","b"]}]}'
)
DATES = [
    "2024-05-17T10:00:00+08:00",
    "Fri, 17 May 2024 10:00:00 +0000",
    "2024年5月17日 10:00",
    "5月17日 10:00",
    "17/05/2024 - 13:48",
    "2024-05-17 10:00 +0800",
]
HOSTILE = [
    "&#xD800;",
    "&#0;",
    "&#x110000;",
    "&#99999999999;",
    "\\ud83d",
    "\\udc00\\ud83d",
    "\ud83d",
    "\x00",
    "\x1b[31m",
    "<div<p>",
    "<<<",
    "<p<a<b",
    "</",
    "<![CDATA[",
    "]]>",
    "<!ENTITY x 'y'>",
    "<!DOCTYPE x [<!ENTITY a 'b'>]>",
    "&amp",
    "&nbsp;",
    "&bogus;",
    "+89:00",
    "+2500",
    "-99:99",
    "Z",
    "9999-12-31T23:59:59+23:59",
    "0001-01-01T00:00:00-23:59",
    "星期八",
    "\u202e",
    "\ufeff",
    "\ufffe",
    "<div>" * 50,
    '<meta charset="utf\x00-8">',
    '<meta charset="utf-16">',
    '<?xml version="1.0" encoding="x\x00"?>',
    '"@graph":[[[[[[',
    "{",
    "]",
    '<script type="application/ld+json">',
    "</script>",
    "<svg><math>",
    "<table><tr><td>",
    "<img srcset=',,,, 9x'>",
    '<a href="javascript:alert(1)">',
    '<a href="http://[::1">',
]
LABELS = [
    "utf-8",
    "gbk",
    "gb2312",
    "big5",
    "shift_jis",
    "iso-8859-1",
    "utf-16",
    "x-user-defined",
    "rot13",
    "idna",
]


def mutate(draw: st.DrawFn, seed_text: str) -> bytes:
    data = bytearray(seed_text.encode("utf-8", "surrogatepass"))
    for _ in range(draw(st.integers(1, 6))):
        choice = draw(st.integers(0, 4))
        at = draw(st.integers(0, len(data)))
        if choice == 0:
            data[at:at] = draw(st.sampled_from(HOSTILE)).encode("utf-8", "surrogatepass")
        elif choice == 1:
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif choice == 2 and data:
            end = min(len(data), at + draw(st.integers(1, 64)))
            del data[at:end]
        elif choice == 3 and data:
            end = min(len(data), at + draw(st.integers(1, 64)))
            data[at:at] = data[at:end] * draw(st.integers(1, 4))
        else:
            data[at:at] = draw(st.text(max_size=8)).encode("utf-8", "surrogatepass")
    return bytes(data)


@st.composite
def documents(draw: st.DrawFn) -> tuple[bytes, str | None]:
    base = draw(st.sampled_from([HTML, RSS, ATOM, JSONFEED]))
    label = draw(st.one_of(st.none(), st.sampled_from(LABELS), st.text(max_size=12)))
    return mutate(draw, base), label


@st.composite
def date_texts(draw: st.DrawFn) -> str:
    return mutate(draw, draw(st.sampled_from(DATES))).decode(
        "utf-8", draw(st.sampled_from(["replace", "surrogateescape"]))
    )


def only_news_errors(call, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return call(*args, **kwargs)
    except NewsError:
        return None


@seed(SEED)
@FUZZ
@given(documents())
def test_mutated_documents_raise_only_news_errors(doc: tuple[bytes, str | None]) -> None:
    data, label = doc
    codec_name(label)
    decoded = only_news_errors(decode, data, http_charset=label)
    assert decoded is not None  # decoding never fails: undecodable bytes are replaced
    decoded.text.encode("utf-8")  # valid Unicode
    headers = {"content-type": f"application/xml; charset={label}"} if label and label.isprintable() else {}
    feed = only_news_errors(parse_feed, Fetched("https://n.example.com/feed", data, headers))
    for entry in feed.entries if feed is not None else ():
        encodable(entry.article)
    for extract in (extract_article, quick_article):
        article = only_news_errors(extract, decoded.text, "https://n.example.com/story")
        if article is not None:
            encodable(article)


def encodable(article: Article) -> None:
    """Every string of an article can be written anywhere (SQLite, UTF-8 files, JSON)."""
    for value in article.as_record().values():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                text.encode("utf-8")


@seed(SEED)
@FUZZ
@given(date_texts())
def test_mutated_dates_raise_only_news_errors(text: str) -> None:
    for tz in (timezone.utc, None):
        value = parse_date(text, tz or timezone.utc)
        assert value is None or value.tzinfo is not None
    read_date(text, timezone.utc)
    only_news_errors(parse_since, text)
