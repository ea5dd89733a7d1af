"""Posts and digest pages built by the real site generators: Debian's `jekyll` (4.3) and `hugo` (0.111).

One minimal Jekyll site and one minimal Hugo site, each holding every hostile post (both bodies) and a
digest run over a feed of hostile entries, each built once; the tests read the generated HTML.
Without the programs these tests skip — unless CI is set, where that is a failure (.ci/run installs them).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote

import conftest
import lxml.html
import pytest

from newscli.models import Article
from newscli.posts.folder import PostFolder
from newscli.posts.post import WORD_JOINER, PostOptions

BUILD_TIMEOUT = 180  # seconds; a minimal site builds in a few

LIQUID = "{{ page.title }} and {% include footer.html %} and a stray {% endraw %}"
SHORTCODES = "{{< notice >}} and {{% notice warning %}}careful{{% /notice %}}"
DATED = datetime(2024, 5, 17, 20, 10, 6, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Case:
    name: str
    title: str | None
    html: str
    published: datetime | None = DATED
    lang: str | None = "en"
    url: str = ""


CASES = [
    Case(
        "liquid",
        LIQUID,
        f"<p>Templates: {LIQUID}.</p><p>In a pipe: {{{{ site.time | date: '%Y' }}}} and A | B.</p>"
        "<pre><code>{% raw %}{{ site.title }}{% endraw %}\n{% if x %}y{% endif %}</code></pre>"
        "<p>Inline <code>{{ page.url }}</code> code and {: .attr} and {::comment}hidden?{:/comment}.</p>",
    ),
    Case(
        "shortcodes",
        SHORTCODES,
        f"<p>Hugo: {SHORTCODES}.</p><p>Code: <code>{{{{< youtube abc >}}}}</code> and <code>{{{{< open</code></p>"
        "<pre><code>{{% highlight go %}}\nx := 1\n{{% /highlight %}}</code></pre>",
    ),
    Case(
        "yaml",
        '"Quoted": colon # hash --- @at - dash',
        "<p>---</p><p># not a heading</p><p>&gt; not a quote</p><p>+ plus</p><p>- dash</p><p>1. one</p>"
        '<p>===</p><p>He said "hi" and don\'t... a -- b --- c &lt;&lt; d &gt;&gt; e</p>',
    ),
    Case(
        "syntax",
        "Math $$x$$ and ~~struck~~",
        "<p>a ~~b~~ c $$x^2$$ and $5 [^1] *[HTML]: abbr</p><p>Term<br>: a definition</p><p>~~~</p>"
        "<p>| A | B |<br>|---|---|</p><p>Setext<br>===</p><p>* * *</p><p>    indented</p>",
    ),
    Case(
        "script",
        "- starts with a dash 🎉 <script>alert(1)</script> @home",
        "<p>Emoji 🎉 and &lt;script&gt;alert(1)&lt;/script&gt; as text; &amp;amp; stays.</p>"
        "<p><strong>\u3000\u3000小标题</strong></p><p>中<strong>“引擎”</strong>中 and <em>plain</em> words.</p>",
    ),
    Case(
        "layout",
        "An old layout-table page",
        "<tr><td>\n    <table><tr><td>Old title</td><td>2005-03-21</td></tr></table>\n\n"
        "        <p>Old layout text, once.</p><p>[print]</p></td></tr>",
    ),
    Case("untitled", None, "<p>An article without a title.</p>"),
    Case("dashes", "---", "<p>A title of three dashes.</p>"),
    Case(
        "undated",
        "没有日期的文章",
        "<p>这篇文章没有日期。</p>",
        published=None,
        lang="zh",
        url="https://www.example.cn/undated.html",
    ),
]
BODIES = ("markdown", "html")


def program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                f"`{name}` is not installed, and CI is set (.ci/run installs it: apt-get install {name})"
            )
        pytest.skip(f"`{name}` is not installed (apt-get install {name}); these tests build real sites")
    return path


def article(case: Case, body: str) -> Article:
    url = case.url or f"https://news.example.com/{case.name}.html"
    return Article(
        url=f"{url}?{body}",
        id=f"{url}?{body}",
        title=case.title,
        published=case.published,
        lang=case.lang,
        html=case.html,
        source="Example News",
    )


def words(text: str) -> str:
    """Text without whitespace: Markdown and HTML lay out the same words differently."""
    return "".join(text.split())


def html_text(fragment: str) -> str:
    return lxml.html.fragment_fromstring(fragment, create_parent="div").text_content()


@dataclass
class Built:
    root: Path  # the generated site
    log: str  # the generator's output
    pages: dict[str, lxml.html.HtmlElement]  # case-body → its page
    saved: dict[str, Path]  # case-body → the post file
    digest: lxml.html.HtmlElement | None
    digest_file: Path | None
    feed_titles: list[str]


def run(cmd: list[str], cwd: Path) -> str:
    # Jekyll skips a post dated in the second its build starts ("has a future date"): the undated
    # posts are dated now, so the build starts in a later second
    time.sleep(1.1)
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TZ": "UTC"}
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=BUILD_TIMEOUT, env=env, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(cmd)} did not finish in {BUILD_TIMEOUT} s")
    log = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{log}"
    return log


FEED_ENTRIES = [
    ("Liquid {{ site.title }} {% include x.html %}", "<p>Body with {{ page.title }} and {% endraw %}.</p>"),
    ("Shortcode {{< notice >}} {{% x %}}", "<p>Body with {{< y >}}.</p>"),
    ('Quote " colon: # and --- dash', "<p>Plain body.</p>"),
    ("中文标题 {{ 变量 }}", "<p>中文正文。</p>"),  # a Han file name, linked by post_url / relref
]


def feed_bytes() -> bytes:
    items = []
    for n, (title, body) in enumerate(FEED_ENTRIES):
        items.append(
            f"<item><title>{html.escape(title)}</title><link>https://news.example.com/feed/{n}.html</link>"
            f'<guid isPermaLink="false">tag:news.example.com,2024:feed{n}</guid>'
            f"<pubDate>Fri, 17 May 2024 1{n}:00:00 +0000</pubDate>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        "<title>Hostile {{ News }}</title><link>https://news.example.com/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode("utf-8")


def run_digest_into(out: Path, home: Path, profile: str, body: str) -> None:
    """A digest run (its own state and config) over a feed of hostile entries, saving into `out`."""
    from newscli.digest.run import run_digest
    from newscli.feeds.subscriptions import add_feed

    server = conftest.TestServer()
    try:
        with pytest.MonkeyPatch.context() as mp:
            home.mkdir(parents=True)
            mp.setenv("NEWSCLI_HOME", str(home))
            mp.setenv("NEWSCLI_CONFIG", str(home / "config.toml"))
            (home / "config.toml").write_text(
                f'[defaults]\nprofile = "{profile}"\nbody = "{body}"\nfull = false\n'
            )
            url = server.serve("/feed.xml", feed_bytes(), content_type="application/rss+xml; charset=utf-8")
            add_feed(url, name="hostile")
            report = run_digest(out=out, workers=2)
            assert report.exit_code == 0, repr(report.feeds)
    finally:
        server.close()


def save_cases(outs: dict[str, Path], profile: str, index_home: Path) -> dict[str, Path]:
    """Every case saved with each body into that body's folder; case-body → the post's path."""
    saved: dict[str, Path] = {}
    for body in BODIES:
        options = PostOptions(profile=profile, body=body, sets=(("newscli_case", "{id}"),))
        with PostFolder.open(outs[body], index_path=index_home / "newscli.db") as folder:
            for case in CASES:
                saved[f"{case.name}-{body}"] = folder.save(article(case, body), options).path
    return saved


def case_of(page: lxml.html.HtmlElement) -> str | None:
    meta = page.xpath("//meta[@name='case']/@content")
    if not meta or not meta[0]:
        return None
    url = meta[0]
    name = url.split("/")[-1].split(".html")[0]
    return f"{name}-{url.rsplit('?', 1)[-1]}"


def collect(root: Path) -> tuple[dict[str, lxml.html.HtmlElement], list[lxml.html.HtmlElement]]:
    pages: dict[str, lxml.html.HtmlElement] = {}
    others = []
    for path in sorted(root.rglob("*.html")):
        page = lxml.html.fromstring(path.read_bytes())
        name = case_of(page)
        if name is not None:
            assert name not in pages, f"two pages for {name}"
            pages[name] = page
        else:
            others.append(page)
    return pages, others


JEKYLL_LAYOUT = """<!doctype html><html><head><meta charset="utf-8">
<meta name="case" content="{{ page.newscli_case }}"><title>{{ page.title | escape }}</title></head>
<body><h1 id="title">{{ page.title | escape }}</h1>
<time id="date">{{ page.date | date: "%Y-%m-%d %H:%M:%S %z" }}</time>
<div id="excerpt">{{ page.excerpt }}</div>
<div id="content">{{ content }}</div></body></html>
"""

HUGO_LAYOUT = """<!doctype html><html><head><meta charset="utf-8">
<meta name="case" content="{{ .Params.newscli_case }}"><title>{{ .Title }}</title></head>
<body><h1 id="title">{{ .Title }}</h1>
<time id="date">{{ .Date.Format "2006-01-02 15:04:05 -0700" }}</time>
<div id="content">{{ .Content }}</div></body></html>
"""


@pytest.fixture(scope="module")
def jekyll_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    jekyll = program("jekyll")
    site = tmp_path_factory.mktemp("jekyll-site")
    (site / "_config.yml").write_text("title: The Site Title\nmarkdown: kramdown\n", encoding="utf-8")
    (site / "_layouts").mkdir()
    (site / "_layouts" / "post.html").write_text(JEKYLL_LAYOUT, encoding="utf-8")
    out = site / "_posts"
    saved = save_cases(dict.fromkeys(BODIES, out), "jekyll", site.parent / (site.name + "-state"))
    run_digest_into(out, site.parent / (site.name + "-digest-home"), "jekyll", "markdown")
    log = run([jekyll, "build", "--source", str(site), "--destination", str(site / "_site")], site)
    yield built(site / "_site", log, saved, out)


@pytest.fixture(scope="module")
def hugo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    hugo = program("hugo")
    site = tmp_path_factory.mktemp("hugo-site")
    (site / "config.toml").write_text(
        'baseURL = "http://example.org/"\ntitle = "The Site Title"\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]\n',
        encoding="utf-8",
    )
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_LAYOUT, encoding="utf-8")
    (site / "layouts" / "_default" / "list.html").write_text("<p>list</p>\n", encoding="utf-8")
    out = site / "content" / "posts"
    # `a.md` and `a.html` would both be /posts/a/: each body in its own section
    outs = {"markdown": out, "html": site / "content" / "html"}
    saved = save_cases(outs, "hugo", site.parent / (site.name + "-state"))
    run_digest_into(out, site.parent / (site.name + "-digest-home"), "hugo", "html")
    log = run([hugo, "--source", str(site), "--destination", str(site / "public")], site)
    yield built(site / "public", log, saved, out)


def built(root: Path, log: str, saved: dict[str, Path], out: Path) -> Built:
    pages, others = collect(root)
    digests = [p for p in others if (p.findtext(".//h1") or "").startswith("Digest ")]
    digest_files = sorted(out.glob("*-digest.*"))
    feed_titles = [
        line
        for path in out.iterdir()
        if path not in saved.values() and "-digest." not in path.name
        for line in path.read_text(encoding="utf-8").split("\n")
        if line.startswith("title:")
    ]
    return Built(
        root=root,
        log=log,
        pages=pages,
        saved=saved,
        digest=digests[0] if len(digests) == 1 else None,
        digest_file=digest_files[0] if len(digest_files) == 1 else None,
        feed_titles=feed_titles,
    )


# ---- the checks, the same for both generators ------------------------------------------------------------


def check_site(site: Built) -> None:
    assert "Liquid Warning" not in site.log and "Liquid Exception" not in site.log, site.log
    assert "WARN" not in site.log and "ERROR" not in site.log, site.log
    expected = {f"{case.name}-{body}" for case in CASES for body in BODIES}
    assert set(site.pages) == expected, f"posts without a page: {sorted(expected - set(site.pages))}"
    for case in CASES:
        for body in BODIES:
            name = f"{case.name}-{body}"
            page = site.pages[name]
            assert page.findtext(".//h1") == (case.title or ""), name
            [content] = page.xpath("//div[@id='content']")
            shown = content.text_content()
            if case.name == "shortcodes" and body == "markdown" and site.root.name == "public":
                # `{{<` without a closer inside code: Hugo cannot be told to leave it, a word joiner breaks it
                assert shown.count(WORD_JOINER) == 1
                shown = shown.replace(WORD_JOINER, "")
            assert words(shown) == words(html_text(case.html)), name
            # nothing the generator might drop silently
            assert "raw HTML omitted" not in lxml.html.tostring(content, encoding="unicode"), name


def shown_date(site: Built, name: str) -> datetime:
    return datetime.strptime(site.pages[name].findtext(".//time") or "", "%Y-%m-%d %H:%M:%S %z")


def check_dates(site: Built) -> None:
    """Each page shows its article's instant (Jekyll in the site's zone, Hugo in the post's own)."""
    for body in BODIES:
        assert shown_date(site, f"liquid-{body}") == DATED
        # the undated Chinese article: filed now, in Shanghai's zone, and shown as that instant
        text = site.saved[f"undated-{body}"].read_text(encoding="utf-8")
        [line] = [line for line in text.split("\n") if line.startswith("date: ")]
        stamp = line.removeprefix("date: ")
        written = (
            datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S %z")
            if " +" in stamp
            else datetime.fromisoformat(stamp)
        )
        assert written.utcoffset() == timedelta(hours=8), line
        assert abs(written - datetime.now(timezone.utc)) < timedelta(minutes=10)
        assert shown_date(site, f"undated-{body}") == written


def check_digest(site: Built, page_for: str) -> None:
    assert site.digest is not None, "the digest page did not build"
    assert len(site.feed_titles) == len(FEED_ENTRIES)
    text = site.digest.xpath("//div[@id='content']")[0].text_content()
    for title, _ in FEED_ENTRIES:
        assert title in text  # shown literally, not run
    assert "Hostile {{ News }}" in text
    own = [
        a for a in site.digest.iter("a") if not (a.get("href") or "").startswith("https://news.example.com/")
    ]
    origin = [
        a for a in site.digest.iter("a") if (a.get("href") or "").startswith("https://news.example.com/")
    ]
    assert len(own) == len(FEED_ENTRIES) and len(origin) == len(FEED_ENTRIES)
    for a in own:  # every link to this site resolves to a built post showing that title
        href = a.get("href") or ""
        assert href.startswith("/"), href
        target = site.root / page_for(unquote(href).lstrip("/"))  # a server maps %-escapes to the file
        assert target.is_file(), f"{href} does not resolve ({target})"
        shown = lxml.html.fromstring(target.read_bytes()).findtext(".//h1")
        assert shown == a.text_content()


def test_jekyll_builds_every_post_literally(jekyll_site: Built) -> None:
    check_site(jekyll_site)
    # the excerpt Jekyll makes from the first paragraph shows the same literal text
    excerpt = jekyll_site.pages["liquid-markdown"].xpath("//div[@id='excerpt']")[0].text_content()
    assert LIQUID in excerpt


def test_jekyll_dates_and_zones(jekyll_site: Built) -> None:
    check_dates(jekyll_site)


def test_jekyll_digest_links_resolve(jekyll_site: Built) -> None:
    check_digest(jekyll_site, lambda href: href)


def test_jekyll_untitled_posts_have_names_it_accepts(jekyll_site: Built) -> None:
    for name in ("untitled-markdown", "untitled-html", "dashes-markdown", "dashes-html"):
        assert re.fullmatch(r"2024-05-17-untitled-[0-9a-f]{8}\.md", jekyll_site.saved[name].name), name


def test_hugo_builds_every_post_literally(hugo_site: Built) -> None:
    check_site(hugo_site)
    for case in CASES:  # HTML bodies are .html content files, which a default Hugo shows as HTML
        assert hugo_site.saved[f"{case.name}-html"].suffix == ".html"
        assert hugo_site.saved[f"{case.name}-markdown"].suffix == ".md"


def test_hugo_dates_and_zones(hugo_site: Built) -> None:
    check_dates(hugo_site)


def test_hugo_digest_links_resolve(hugo_site: Built) -> None:
    assert hugo_site.digest_file is not None and hugo_site.digest_file.suffix == ".html"
    check_digest(hugo_site, lambda href: href.rstrip("/") + "/index.html")


def test_markdown_emphasis_renders_on_both(jekyll_site: Built, hugo_site: Built) -> None:
    for site in (jekyll_site, hugo_site):
        content = site.pages["script-markdown"].xpath("//div[@id='content']")[0]
        strong = [s.text_content() for s in content.iter("strong")]
        assert strong == ["小标题", "引擎"], strong  # the spaces and quote marks stand outside the markers
        assert [e.text_content() for e in content.iter("em")] == ["plain"]
        assert "**" not in content.text_content()


def test_same_article_saved_again_is_unchanged(tmp_path: Path) -> None:
    """Protection is deterministic: saving the hostile posts again changes no byte."""
    out = tmp_path / "posts"
    outs = dict.fromkeys(BODIES, out)
    first = save_cases(outs, "jekyll", tmp_path / "state")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = save_cases(outs, "jekyll", tmp_path / "state")
    assert first == again and {p.name: p.read_bytes() for p in out.iterdir()} == before
