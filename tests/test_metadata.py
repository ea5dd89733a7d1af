"""read_metadata on small pages written here, and on the seed share page."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import lxml.html
import pytest
from seedpage import SEED_TITLE, share_page

from newscli.page.metadata import Metadata, read_metadata

URL = "https://news.example.com/2022/05/story.html"
CN_URL = "https://finance.example.cn/a/202205172382328235.html"
BEIJING = timezone(timedelta(hours=8))


def meta(page: str, url: str = URL, **kwargs: str | None) -> Metadata:
    return read_metadata(lxml.html.fromstring(page), url, **kwargs)


def page(head: str = "", body: str = "", lang: str = "") -> str:
    attr = f' lang="{lang}"' if lang else ""
    return f"<!DOCTYPE html><html{attr}><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


LD_GRAPH = """<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
 {"@type": "WebSite", "name": "Graph Site"},
 {"@type": "NewsArticle", "headline": "Graph headline", "datePublished": "2021-03-04T05:06:07-05:00",
  "author": [{"@type": "Person", "name": "Ann Lee"}, {"@type": "Person", "name": "Bo Chen"}]}]}</script>"""

TITLES = [
    (
        "og:title wins",
        page('<title>Page | Site</title><meta property="og:title" content="Real &amp; headline">'),
        "Real & headline",
    ),
    (
        "twitter:title",
        page('<title>x</title><meta name="twitter:title" content="Tweet title">'),
        "Tweet title",
    ),
    ("JSON-LD headline in @graph", page("<title>Other - Graph Site</title>" + LD_GRAPH), "Graph headline"),
    (
        "JSON-LD list",
        page('<script type="application/ld+json">[{"@type":"Article","headline":"Listed"}]</script>'),
        "Listed",
    ),
    (
        "broken JSON-LD is ignored",
        page('<title>Kept  title</title><script type="application/ld+json">{"@type":</script>'),
        "Kept title",
    ),
    ("pipe suffix", page("<title>Storm hits the coast | Daily Planet</title>"), "Storm hits the coast"),
    ("dash suffix", page("<title>Storm hits the coast - Daily Planet</title>"), "Storm hits the coast"),
    ("double colon", page("<title>Storm hits the coast :: Daily Planet</title>"), "Storm hits the coast"),
    (
        "东方财富网 suffix",
        page("<title>沪指收涨0.65% 新能源板块领涨两市_东方财富网</title>"),
        "沪指收涨0.65% 新能源板块领涨两市",
    ),
    (
        "em-dash pair suffix",
        page("<title>国常会部署稳经济一揽子措施——新华网</title>"),
        "国常会部署稳经济一揽子措施",
    ),
    (
        "h1 matching the title prefix",
        page("<title>Storm hits the coast, again - Planet</title>", "<h1>Storm hits the coast, again</h1>"),
        "Storm hits the coast, again",
    ),
    (
        "suffix equal to og:site_name",
        page('<title>Short - Planet</title><meta property="og:site_name" content="Planet">'),
        "Short",
    ),
    ("entities and white space", page("<title>  Fish &amp;\n chips   </title>"), "Fish & chips"),
]


@pytest.mark.parametrize("name,html,want", TITLES, ids=[t[0] for t in TITLES])
def test_title(name: str, html: str, want: str) -> None:
    assert meta(html).title == want


AUTHORS = [
    ("JSON-LD list of people", page(LD_GRAPH), "Ann Lee, Bo Chen"),
    (
        "JSON-LD string",
        page('<script type="application/ld+json">{"@type":"Article","author":"Jo Park"}</script>'),
        "Jo Park",
    ),
    ("meta author", page('<meta name="author" content="Sam Roe">'), "Sam Roe"),
    (
        "article:author URL is not a name",
        page('<meta property="article:author" content="https://fb.com/x">', "<h1>Title here</h1><p>Text</p>"),
        None,
    ),
    (
        "rel=author",
        page("", '<h1>Headline</h1><a rel="author" href="/u/1">Kim Ray</a><p>Body</p>'),
        "Kim Ray",
    ),
    (
        "byline class with By",
        page("", '<h1>Headline</h1><div class="byline">By Dana Scully</div>'),
        "Dana Scully",
    ),
    (
        "By line under the title",
        page("<title>Headline</title>", "<h1>Headline</h1><p>By Fox Mulder</p><p>Text.</p>"),
        "Fox Mulder",
    ),
    (
        "作者：",
        page(
            "<title>标题新闻</title>", "<h1>标题新闻</h1><div>作者：李明 来源：新华社</div><p>正文内容。</p>"
        ),
        "李明",
    ),
    (
        "本报记者",
        page("<title>标题新闻</title>", "<h1>标题新闻</h1><div>本报记者 王芳</div><p>正文内容。</p>"),
        "王芳",
    ),
    ("文/", page("<title>标题新闻</title>", "<h1>标题新闻</h1><p>文/张伟</p><p>正文内容。</p>"), "张伟"),
    (
        "two names",
        page("<title>标题新闻</title>", "<h1>标题新闻</h1><p>作者：宋怡 杨志华</p><p>正文。</p>"),
        "宋怡 杨志华",
    ),
    (
        "编辑 is the editor, not a byline, even alone",
        page("<title>标题新闻</title>", "<h1>标题新闻</h1><p>正文。</p><p>编辑：赵六</p>"),
        None,
    ),
    (
        "作者 beats 编辑",
        page("<title>标题新闻</title>", "<h1>标题新闻</h1><p>编辑：赵六</p><p>作者：钱七</p>"),
        "钱七",
    ),
]


@pytest.mark.parametrize("name,html,want", AUTHORS, ids=[a[0] for a in AUTHORS])
def test_author(name: str, html: str, want: str | None) -> None:
    assert meta(html).author == want


def test_author_at_the_end_of_the_article_text() -> None:
    html = page(
        "<title>标题新闻</title>", "<h1>标题新闻</h1><p>正文第一段。</p><p>正文结尾。（总台记者 张倩）</p>"
    )
    assert meta(html, body_text="正文第一段。\n正文结尾。（总台记者 张倩）").author == "张倩"


DATES = [
    (
        "JSON-LD with offset kept",
        page(LD_GRAPH),
        URL,
        datetime(2021, 3, 4, 5, 6, 7, tzinfo=timezone(-timedelta(hours=5))),
    ),
    (
        "article:published_time Z",
        page('<meta property="article:published_time" content="2020-01-02T03:04:05Z">'),
        URL,
        datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    ),
    (
        "naive meta date on a .cn host",
        page('<meta name="pubdate" content="2022-05-17 20:10:06">'),
        CN_URL,
        datetime(2022, 5, 17, 20, 10, 6, tzinfo=BEIJING),
    ),
    (
        "time datetime",
        page("", '<h1>Headline</h1><time datetime="2019-04-28T06:01:07+02:00">April 28</time>'),
        URL,
        datetime(2019, 4, 28, 6, 1, 7, tzinfo=timezone(timedelta(hours=2))),
    ),
    (
        "年月日 near the title",
        page("<title>标题新闻</title>", "<h1>标题新闻</h1><div>2022年05月17日 20:10</div><p>正文</p>"),
        URL,
        datetime(2022, 5, 17, 20, 10, tzinfo=BEIJING),
    ),
    (
        "发布时间：",
        page("<title>标题新闻</title>", "<h1>标题新闻</h1><p>发布时间：2022-05-17 20:10:06 来源：新华社</p>"),
        URL,
        datetime(2022, 5, 17, 20, 10, 6, tzinfo=BEIJING),
    ),
    (
        "single-digit month",
        page("<title>标题新闻</title>", "<h1>标题新闻</h1><p>时间：2005-5-7 21:23:57</p>"),
        URL,
        datetime(2005, 5, 7, 21, 23, 57, tzinfo=BEIJING),
    ),
]


@pytest.mark.parametrize("name,html,url,want", DATES, ids=[d[0] for d in DATES])
def test_published(name: str, html: str, url: str, want: datetime) -> None:
    got = meta(html, url).published
    assert got == want
    assert got is not None and got.utcoffset() == want.utcoffset()


def test_tz_override_reads_naive_dates_in_that_zone() -> None:
    html = page('<meta name="pubdate" content="2022-05-17 20:10">')
    got = meta(html, CN_URL, tz_override="UTC")
    assert got.published == datetime(2022, 5, 17, 20, 10, tzinfo=timezone.utc)
    assert got.tz == timezone.utc


def test_updated_date() -> None:
    html = page('<meta property="article:modified_time" content="2022-05-18T08:00:00+08:00">')
    assert meta(html).updated == datetime(2022, 5, 18, 8, 0, tzinfo=BEIJING)


SOURCES = [
    ("来源：", "<p>2022-05-17 来源：科技日报 作者：李明</p>", "科技日报"),
    ("bracketed 文章来源", "<p>正文。（文章来源：科技日报）</p>", "科技日报"),
    ("来源 in 【】", "<p>来源：【人民网】</p>", "人民网"),
    ("English Source:", "<p>Source: Reuters</p>", "Reuters"),
]


@pytest.mark.parametrize("name,body,want", SOURCES, ids=[s[0] for s in SOURCES])
def test_source(name: str, body: str, want: str) -> None:
    assert meta(page("<title>标题新闻_某网</title>", "<h1>标题新闻</h1>" + body)).source == want


def test_source_falls_back_to_site_name() -> None:
    got = meta(page('<title>Story - Planet</title><meta property="og:site_name" content="Daily Planet">'))
    assert (got.site_name, got.source) == ("Daily Planet", "Daily Planet")


SITES = [
    ("og:site_name", page('<meta property="og:site_name" content="Planet">'), "Planet"),
    ("JSON-LD WebSite", page(LD_GRAPH), "Graph Site"),
    (
        "JSON-LD publisher",
        page(
            '<script type="application/ld+json">{"@type":"NewsArticle","headline":"h",'
            '"publisher":{"@type":"Organization","name":"Pub Co"}}</script>'
        ),
        "Pub Co",
    ),
    ("title suffix", page("<title>A long headline about things - Planet</title>"), "Planet"),
    ("nothing", page("<title>Just a headline</title>"), None),
]


@pytest.mark.parametrize("name,html,want", SITES, ids=[s[0] for s in SITES])
def test_site_name(name: str, html: str, want: str | None) -> None:
    assert meta(html).site_name == want


LANGS = [
    ("html lang", page(lang="en-GB"), "en-GB"),
    ("og:locale", page('<meta property="og:locale" content="zh_CN">'), "zh-CN"),
    ("content-language", page('<meta http-equiv="content-language" content="fr">'), "fr"),
    (
        "Chinese text",
        page("", "<p>科技创新为克拉玛依高质量发展提供最强引擎，新疆油田年产原油突破一千四百万吨。</p>"),
        "zh",
    ),
    (
        "Japanese text",
        page("", "<p>むかしむかし、あるところに、おじいさんとおばあさんがすんでいました。</p>"),
        "ja",
    ),
    ("too little text", page("", "<p>OK</p>"), None),
]


@pytest.mark.parametrize("name,html,want", LANGS, ids=[x[0] for x in LANGS])
def test_lang(name: str, html: str, want: str | None) -> None:
    assert meta(html).lang == want


def test_chinese_text_sets_the_zone_for_naive_dates() -> None:
    html = page(
        '<meta name="pubdate" content="2022-05-17 20:10">',
        "<p>科技创新为克拉玛依高质量发展提供最强引擎，新疆油田。</p>",
    )
    got = meta(html, "https://example.org/a")
    assert got.published is not None and got.published.utcoffset() == timedelta(hours=8)


def test_canonical_image_description_tags_categories() -> None:
    html = page(
        '<link rel="canonical" href="/2022/05/story.html?ref=canon">'
        '<meta property="og:image" content="/img/a.jpg">'
        '<meta name="description" content="What happened.">'
        '<meta name="keywords" content="克拉玛依,科技创新，高质量发展、能源; 油田">'
        '<meta property="article:tag" content="energy"><meta property="article:section" content="Business">'
    )
    got = meta(html)
    assert got.canonical_url == "https://news.example.com/2022/05/story.html?ref=canon"
    assert got.image == "https://news.example.com/img/a.jpg"
    assert got.description == "What happened."
    assert got.tags == ("克拉玛依", "科技创新", "高质量发展", "能源", "油田", "energy")
    assert got.categories == ("Business",)


def test_meta_contents_are_unescaped_once() -> None:
    html = page(
        '<meta name="keywords" content="R&amp;amp;D, Fish &amp; chips">'
        '<meta name="description" content="Write &amp;lt;p&amp;gt; tags">'
    )
    got = meta(html)
    assert got.tags == ("R&amp;D", "Fish & chips")  # what a browser shows for these attributes
    assert got.description == "Write &lt;p&gt; tags"


def test_canonical_rejects_non_http_and_falls_back_to_og_url() -> None:
    assert meta(page('<link rel="canonical" href="javascript:alert(1)">')).canonical_url is None
    assert (
        meta(page('<meta property="og:url" content="https://x.example/a">')).canonical_url
        == "https://x.example/a"
    )


def test_empty_page() -> None:
    got = meta("<html></html>")
    assert (got.title, got.author, got.published, got.site_name) == (None, None, None, None)


@pytest.mark.parametrize(
    "kwargs,want",
    [
        ({}, datetime(2022, 5, 17, 20, 10, 6, tzinfo=BEIJING)),
        ({"published_meta": False, "declare_charset": False}, datetime(2022, 5, 17, 20, 10, tzinfo=BEIJING)),
    ],
)
def test_seed_share_page(kwargs: dict[str, bool], want: datetime) -> None:
    doc = lxml.html.fromstring(share_page(**kwargs).decode("gb18030"))
    got = read_metadata(doc, "https://finance.eastmoney.com/a/202205172382328235.html")
    assert got.title == SEED_TITLE
    assert got.source == "科技日报"
    assert got.site_name == "东方财富网"
    assert got.lang == "zh"
    assert got.published == want and got.published.isoformat() == want.isoformat()
    assert got.tags == ("克拉玛依", "科技创新", "高质量发展")


MORE_AUTHORS = [
    (
        "schema.org name inside an itemprop=author box",
        page("", '<h1>Headline</h1><div itemprop="author"><span itemprop="name">Alex Perry</span></div>'),
        "Alex Perry",
    ),
    (
        "byline text cut at the date and handle",
        page("", '<h1>Headline</h1><p class="byline">Tech by Jo Park January 18, 2017 11:00 PM @jopark</p>'),
        "Jo Park",
    ),
    (
        "Dublin Core creator before meta author",
        page('<meta name="author" content="Meta Name"><meta property="dc:creator" content="DC Name">'),
        "DC Name",
    ),
    (
        "visible Chinese byline beats a CMS meta author",
        page(
            '<title>标题新闻</title><meta name="author" content="L_104485">',
            "<h1>标题新闻</h1><p>2022-02-13 07:48 作者：葛灵丹</p><p>正文内容很长。</p>",
        ),
        "葛灵丹",
    ),
    (
        "blog 发表于 line",
        page("<title>博客</title>", "<h1>博客</h1><p>正文。</p><p>ggjjzhzz 发表于 2005-9-15 11:46:00</p>"),
        "ggjjzhzz",
    ),
    (
        "Sohu date [name] line",
        page(
            "<title>标题新闻</title>", "<h1>标题新闻</h1><p>2004年7月16日08:19 [ 黄宇 ] 来源：国际金融报</p>"
        ),
        "黄宇",
    ),
]


@pytest.mark.parametrize("name,html,want", MORE_AUTHORS, ids=[a[0] for a in MORE_AUTHORS])
def test_author_more(name: str, html: str, want: str) -> None:
    assert meta(html).author == want


def test_reporter_at_the_end_beats_the_editor() -> None:
    body = "正文第一段。\n正文结尾。 □ 本报记者 葛灵丹 (责编：萧潇、张妍)"
    html = page(
        "<title>标题新闻</title>", f"<h1>标题新闻</h1><p>正文第一段。</p><p>{body.split(chr(10))[1]}</p>"
    )
    assert meta(html, body_text=body).author == "葛灵丹"


def test_reporter_city_suffix_is_dropped() -> None:
    body = "正文第一段。\n正文结尾。（姚峰 上海报道）"
    html = page(
        "<title>标题新闻</title>", "<h1>标题新闻</h1><p>正文第一段。</p><p>正文结尾。（姚峰 上海报道）</p>"
    )
    assert meta(html, body_text=body).author == "姚峰"


def test_title_agreed_by_h1_and_title_beats_a_social_og_title() -> None:
    html = page(
        '<title>The Deck of Cards That Made Tarot - Atlas</title><meta property="og:title" content="Click this!">',
        "<h1>The Deck of Cards That Made Tarot</h1>",
    )
    assert meta(html).title == "The Deck of Cards That Made Tarot"


def test_svg_titles_are_not_the_page_title() -> None:
    html = "<html><body><svg><title>icon-close</title></svg><h1>Real</h1></body></html>"
    assert meta(html).title == "Real"


MORE_DATES = [
    (
        "day-first slashed date with PM",
        page("<title>标题新闻</title>", "<h1>标题新闻</h1><p>发布日期： 7/5/2005 9:23:57 PM</p>"),
        datetime(2005, 5, 7, 21, 23, 57, tzinfo=BEIJING),
    ),
    (
        "meta gives the day, the page the time",
        page(
            '<title>标题新闻</title><meta name="publishdate" content="2022-02-13">',
            "<h1>标题新闻</h1><p>2022年02月13日07:48 | 来源：新华日报</p>",
        ),
        datetime(2022, 2, 13, 7, 48, tzinfo=BEIJING),
    ),
    (
        "the date under the headline, not the sidebar's",
        page(
            "<title>标题新闻</title>",
            "<ul><li>2021-01-01 旧闻</li></ul><h1>标题新闻</h1><p>2022-05-17 20:10</p><p>正文。2020年3月1日</p>",
        ),
        datetime(2022, 5, 17, 20, 10, tzinfo=BEIJING),
    ),
    (
        "a labelled date beats an earlier one",
        page("<title>标题新闻</title>", "<h1>标题新闻</h1><p>2003-01-01 专题 发表于：2003-07-24 10:00</p>"),
        datetime(2003, 7, 24, 10, 0, tzinfo=BEIJING),
    ),
]


@pytest.mark.parametrize("name,html,want", MORE_DATES, ids=[d[0] for d in MORE_DATES])
def test_published_visible(name: str, html: str, want: datetime) -> None:
    assert meta(html, CN_URL).published == want


def test_future_visible_dates_are_ignored() -> None:
    html = page("<title>标题新闻</title>", "<h1>标题新闻</h1><p>2099-01-01 10:00</p>")
    assert meta(html, CN_URL).published is None


def test_find_dates_reads_both_orders() -> None:
    from newscli.dates import CHINA, find_dates

    text = "发表于 2005-5-7 21:23:57，更新 06/02/2022 - 13:48"
    got = [(value.isoformat(), timed) for _pos, value, timed in find_dates(text, CHINA)]
    assert got == [("2005-05-07T21:23:57+08:00", True), ("2022-02-06T13:48:00+08:00", True)]
    us = find_dates("06/02/2022", CHINA, day_first=False)
    assert us[0][1].date().isoformat() == "2022-06-02"


ESSAY = "我以往是一个最反感这种事情的人，但是现实总是与你的美好初衷有出入，所以今天写下来。"
NAME_LINES = [
    (
        "name line between headline and text (no usable <title>)",
        page(
            "<title>显示</title>", f"<p>比赛革命的革命</p><p>胡平</p><p>——对文化革命的分析</p><p>{ESSAY}</p>"
        ),
        f"比赛革命的革命\n\n胡平\n——对文化革命的分析\n{ESSAY}",
        "胡平",
    ),
    (
        "two names under a repeated forum headline",
        page(
            "<title>社会资本与再就业(页 1) - 学术前沿 - 论坛</title>",
            "<p>社会资本与再就业</p><p>2003-5-29 09:07</p><p>高山流水</p>"
            f"<p>社会资本与再就业</p><p>赵延东、风笑天</p><p>{ESSAY}</p>",
        ),
        ESSAY,
        "赵延东、风笑天",
    ),
    (
        "a forum handle under the topic",
        page(
            "<title>网易娱乐</title>",
            f"<p>版主：[申请版主]</p><p>惊爆某公司黑幕(转载)</p><p>duscha</p><p>{ESSAY}</p>",
        ),
        ESSAY,
        "duscha",
    ),
    (
        "a link inside running text is no byline",
        page(
            "<title>博客</title>",
            f"<p>老冒的目标着实让人很惊讶。如果<a href='/'>uuzone</a>今天只是个个人网站，那么做最好的东西顺理成章。</p>"
            f"<p>{ESSAY}</p>",
        ),
        f"老冒的目标着实让人很惊讶。如果uuzone今天只是个个人网站，那么做最好的东西顺理成章。\n{ESSAY}",
        None,
    ),
    (
        "a share button under the headline is no byline",
        page("<title>标题新闻</title>", f"<h1>标题新闻</h1><p>分享到</p><p>{ESSAY}</p>"),
        ESSAY,
        None,
    ),
    (
        "the issuing body of a government notice",
        page(
            "<title>省人民政府关于禁止新增建设项目的通告</title>",
            "<p>发文机关：</p><p>吉林省人民政府</p><p>成文日期：</p><p>2022年01月27日</p>"
            f"<h1>省人民政府关于禁止新增建设项目的通告</h1><p>{ESSAY}</p>",
        ),
        ESSAY,
        "吉林省人民政府",
    ),
    (
        "the owner of a personal blog, named again and again, not a blogroll entry",
        page(
            "<title>blog.example.com</title>",
            "<p>海姑娘的博客历史</p><p>海姑娘博客精选</p><p>Hyson的博客:想写就写</p><p>爱海的海姑娘</p>"
            f"<h1>昨天去金矿玩 (图)</h1><p>{ESSAY}</p>",
        ),
        ESSAY,
        "海姑娘",
    ),
]


@pytest.mark.parametrize("name,html,body,want", NAME_LINES, ids=[n[0] for n in NAME_LINES])
def test_visible_chinese_credits(name: str, html: str, body: str, want: str | None) -> None:
    assert meta(html, CN_URL, body_text=body).author == want


def test_name_lines_count_on_chinese_pages_only() -> None:
    text = "This section is long enough to be taken for the first paragraph of an article."
    html = page(
        "<title>Notes</title>", f"<p>A headline of an article</p><p>Conclusion</p><p>{text}</p>", "en"
    )
    assert meta(html, body_text=text).author is None


def test_markup_time_is_given_in_the_offset_the_page_shows() -> None:
    html = page(
        '<title>标题新闻</title><meta property="article:published_time" content="2022-02-06T12:48:06+00:00">',
        "<h1>标题新闻</h1><p>发表时间：</p><p>06/02/2022 - 13:48</p><p>正文。</p>",
    )
    got = meta(html, CN_URL).published
    assert got is not None and got.isoformat() == "2022-02-06T13:48:06+01:00"


def test_markup_time_kept_when_the_page_shows_another_moment() -> None:
    html = page(
        '<title>标题新闻</title><meta property="article:published_time" content="2022-02-06T12:48:06+00:00">',
        "<h1>标题新闻</h1><p>发表时间：</p><p>06/02/2022 - 13:30</p><p>正文。</p>",
    )
    got = meta(html, CN_URL).published
    assert got is not None and got.isoformat() == "2022-02-06T12:48:06+00:00"


@pytest.mark.parametrize(
    ("markup", "wanted"),
    [
        ("2024-03-12T07:30:00+08:00", "2024-03-12T07:30:00+08:00"),
        ("2024-03-12T10:00:00Z", "2024-03-12T10:00:00+00:00"),
    ],
)
def test_a_shown_day_without_time_never_invents_an_offset(markup: str, wanted: str) -> None:
    """The page shows only the day: the markup's clock and offset stand (no 00:00 at +00:30 or -10:00)."""
    html = page(
        f'<title>Harbour news</title><meta property="article:published_time" content="{markup}">',
        "<h1>Harbour news</h1><p>Published 2024-03-12</p><p>The turbine turned today, they say.</p>",
    )
    got = meta(html).published
    assert got is not None and got.isoformat() == wanted


def test_slashed_date_read_the_only_way_it_can_be() -> None:
    html = page("<title>标题新闻</title>", "<h1>标题新闻</h1><p>发布日期： 9/17/2004 5:54:13 AM</p>")
    assert meta(html, CN_URL).published == datetime(2004, 9, 17, 5, 54, 13, tzinfo=BEIJING)


def test_weekday_between_day_and_time() -> None:
    html = page(
        "<title>标题新闻</title>", "<h1>标题新闻</h1><p>正文。</p><p>2005年08月30日, 星期二 13:22</p>"
    )
    assert meta(html, CN_URL).published == datetime(2005, 8, 30, 13, 22, tzinfo=BEIJING)


def test_permalink_sign_is_not_part_of_the_headline() -> None:
    html = page(
        "<title>Evolve: Shared History — evolve extension for Mercurial</title>",
        "<h1>evolve extension for Mercurial</h1><h1>Evolve: Shared History¶</h1>",
    )
    assert meta(html).title == "Evolve: Shared History"


def test_headline_byline_and_date_lines_opening_the_body_are_not_body_text() -> None:
    from newscli.page.extract import extract_article

    paragraph = "近年来，这一社会群体作为新时期改革成本的承担者已越来越引人注目，他们的生活保障成为焦点。"
    html = page(
        "<title>显示</title>",
        "<ul><li><a href='/'>首页</a></li></ul><div><p>比赛革命的革命</p><p>胡平</p>"
        "<p>2005-02-06 13:26更新 来源：转载文章</p><p>发表评论</p>" + f"<p>{paragraph}</p>" * 4 + "</div>",
    )
    article = extract_article(html, CN_URL)
    assert article.author == "胡平"
    assert article.text == "\n\n".join([paragraph] * 4)
    assert "胡平" not in article.html


def test_a_short_first_paragraph_is_kept_when_nothing_repeats() -> None:
    from newscli.page.extract import extract_article

    paragraph = "This paragraph is long enough, with commas, to be read as the text of the article, surely."
    html = page("<title>Story</title>", f"<div><p>Short opener.</p>{f'<p>{paragraph}</p>' * 4}</div>", "en")
    assert extract_article(html, URL).text.startswith("Short opener.\n\n")


ZH_TEXT = (
    "记者从市政府获悉，全市今年将新建公园二十个，改造老旧小区一百五十个，并在年底前完成全部道路的修缮工作。"
    "市民普遍表示欢迎，认为这些举措将明显改善居住环境，提升城市的整体面貌和生活质量。"
)


def test_the_responsible_editor_is_kept_apart_from_the_author() -> None:
    body = f"<h1>全市将新建公园二十个</h1><p>记者 王小明</p><p>{ZH_TEXT}</p><p>（责任编辑：李红）</p>"
    found = meta(page("<title>全市将新建公园二十个</title>", body, lang="zh"), CN_URL, body_text=ZH_TEXT)
    assert found.author == "王小明"
    assert found.editor == "李红"
    # A page crediting nobody else: still its editor, and no author (an editor is not a byline).
    alone = f"<h1>全市将新建公园二十个</h1><p>{ZH_TEXT}</p><p>（责任编辑：李红）</p>"
    found = meta(page("<title>全市将新建公园二十个</title>", alone, lang="zh"), CN_URL, body_text=ZH_TEXT)
    assert found.author is None and found.editor == "李红"


def test_a_meta_author_that_is_an_editor_login_is_no_byline() -> None:
    head = '<title>Harbour works</title><meta name="author" content="责任编辑：李红">'
    assert meta(page(head, "<h1>Harbour works</h1><p>Text of the story.</p>")).author is None


def test_the_publisher_is_not_the_author() -> None:
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Harbour works",'
        ' "author": {"@type": "Organization", "name": "Coast News"},'
        ' "publisher": {"@type": "Organization", "name": "Coast News"}}</script>'
    )
    body = '<h1>Harbour works</h1><p class="byline">By Jo Park</p><p>Text of the story.</p>'
    assert meta(page(f"<title>Harbour works</title>{ld}", body)).author == "Jo Park"
    head = '<title>Harbour works</title><meta property="og:site_name" content="Coast News"><meta name="author" content="Coast News">'
    assert meta(page(head, "<h1>Harbour works</h1><p>Text of the story.</p>")).author is None


def test_separators_around_a_byline_are_not_part_of_the_name() -> None:
    head = '<title>Harbour works</title><meta name="author" content="/ Cory Doctorow /">'
    assert meta(page(head, "<h1>Harbour works</h1>")).author == "Cory Doctorow"


def test_a_title_that_is_the_site_name_is_not_the_headline() -> None:
    head = '<title>blog.example.com</title><meta property="og:site_name" content="blog.example.com">'
    body = "<div><p>Harbour works delayed again</p><p>The harbour authority said on Tuesday that the works are late.</p></div>"
    found = meta(
        page(head, body),
        "https://blog.example.com/post/1",
        body_text="Harbour works delayed again\n\nThe harbour authority said on Tuesday that the works are late.",
    )
    assert found.title == "Harbour works delayed again"


def test_a_site_suffix_joined_by_a_bare_dash_is_cut_from_a_chinese_title() -> None:
    found = meta(
        page("<title>劳伦斯：一个无法定义的“洛克菲勒”-搜狐财经</title>", f"<p>{ZH_TEXT}</p>", lang="zh"),
        CN_URL,
    )
    assert found.title == "劳伦斯：一个无法定义的“洛克菲勒”"
    assert found.site_name == "搜狐财经"


def test_source_is_read_from_text_never_from_markup_that_leaked_into_it() -> None:
    body = f'<h1>全市将新建公园二十个</h1><p>来源：size="20"</p><p>来源：新华日报</p><p>{ZH_TEXT}</p>'
    found = meta(page("<title>全市将新建公园二十个</title>", body, lang="zh"), CN_URL, body_text=ZH_TEXT)
    assert found.source == "新华日报"
