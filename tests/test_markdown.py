"""HTML → Markdown: structure, escaping, safety, and a golden file."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from seedpage import SEED_BODY

from newscli.posts.markdown import html_to_markdown, text_to_markdown

GOLDEN = Path(__file__).parent / "data" / "golden"

SAMPLE = """
<h1>标题 <em>Title</em></h1>
<p>Plain <b>bold</b>, <i>italic</i>, <code>x = `y`</code> and a <a href="https://e.com/a?b=1&amp;c=2" title="T">link</a>.
Special: a*b_c [x] &lt;script&gt; &amp;copy; 中文“引号”不变。</p>
<p>中<strong>“引擎”</strong>中<br>second line<br># not a heading</p>
<ul><li>one</li><li>two<ul><li>two-a</li><li>two-b<ol start="3"><li>three</li><li>four</li></ol></li></ul></li>
<li><p>loose para 1</p><p>loose para 2</p></li></ul>
<blockquote><p>quoted</p><blockquote><p>nested quote</p></blockquote></blockquote>
<pre><code class="language-python">def f():
    return "```"
</code></pre>
<table><thead><tr><th>名称</th><th>a|b</th></tr></thead><tbody><tr><td>1</td><td><b>2</b></td></tr></tbody></table>
<figure><img src="https://e.com/x.jpg" alt="图 [1]"><figcaption>图注</figcaption></figure>
<hr>
<p>1. not a list</p><p>- not a bullet</p><p>---</p><p>&gt; not a quote</p>
<script>alert(1)</script><!-- comment -->
"""


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("NEWSCLI_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert text.encode("utf-8") == path.read_bytes(), f"{path} differs (NEWSCLI_REGEN_GOLDEN=1 rewrites it)"


def test_sample_golden() -> None:
    check_golden("markdown-sample.md", html_to_markdown(SAMPLE) + "\n")


def test_seed_body_paragraphs_in_order_and_text_untouched() -> None:
    md = html_to_markdown(SEED_BODY)
    paragraphs = md.split("\n\n")
    expected = [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p[^>]*>.*?</p>", SEED_BODY)]
    assert len(paragraphs) == 28
    assert [p.replace("**", "") for p in paragraphs] == expected
    assert "<" not in md  # no raw inline HTML: a default Hugo drops it
    assert paragraphs[2] == "**创新的基因融入血脉之中**"
    # bold starting with a quote mark would not open (CommonMark flanking rules): the mark stands outside
    assert paragraphs[22] == "“**换道超车”抢占制高点**"


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<p>Hello <b>bold</b> and <i> it </i>, ok</p>", "Hello **bold** and *it* , ok"),
        ("<p>a*b_c [x] `y` &lt;b&gt; &amp;amp;</p>", r"a\*b\_c \[x\] \`y\` \<b> &amp;amp;"),
        ("<p>中<strong>“引擎”</strong>中</p>", "中“**引擎**”中"),
        ("<h3>  Title\n here </h3>", "### Title here"),
        ('<p><a href="https://e.com/a b">x</a></p>', "[x](https://e.com/a%20b)"),
        ('<p><a href="javascript:alert(1)">js</a> <a href=" JaVa\tscript:x">js2</a></p>', "js js2"),
        (
            '<p><img src="data:image/png;base64,AAAA" alt="x"><img src="/i.png" alt="a]b"></p>',
            r"![a\]b](/i.png)",
        ),
        ('<p><a href="https://e.com/">https://e.com/</a></p>', "[https://e.com/](https://e.com/)"),
        ("<p># h</p><p>+ p</p><p>2022. 年</p><p>===</p>", "\\# h\n\n\\+ p\n\n2022\\. 年\n\n\\=\\=\\="),
        ("<ol><li>a</li><li>b</li></ol>", "1. a\n2. b"),
        ("<blockquote>q<p>p</p></blockquote>", "> q\n>\n> p"),
        ("<p><code>a`b</code></p>", "``a`b``"),
        ("<pre>x\n\n  y</pre>", "```\nx\n\n  y\n```"),
        ("<table><tr><td>1</td></tr><tr><td>2</td><td>3</td></tr></table>", "| 1 |  |\n|---|---|\n| 2 | 3 |"),
        ("<div>loose <span>text</span><p>para</p>tail</div>", "loose text\n\npara\n\ntail"),
        ("<p>a\x00b\x1b[31m</p>", r"ab\[31m"),
        ("", ""),
        ("   \n ", ""),
        ("<script>x()</script><style>p{}</style>", ""),
    ],
)
def test_html_to_markdown(html: str, markdown: str) -> None:
    assert html_to_markdown(html) == markdown


def test_text_to_markdown_escapes_and_keeps_paragraphs() -> None:
    assert text_to_markdown("第一段 *星*\n第二行\n\n# 第二段") == "第一段 \\*星\\*  \n第二行\n\n\\# 第二段"


def test_output_is_stable() -> None:
    assert html_to_markdown(SAMPLE) == html_to_markdown(SAMPLE)


def test_layout_tables_keep_their_text_once() -> None:
    # an old page: the article in a cell of a layout table, itself holding a nested table
    html = (
        "<table><tr><td><table><tr><td>Title line</td><td>2005-03-21</td></tr></table>"
        "<p>First paragraph.</p><p>Second paragraph.</p></td></tr>"
        "<tr><td>[print]</td></tr></table>"
    )
    md = html_to_markdown(html)
    assert md == "Title line\n\n2005-03-21\n\nFirst paragraph.\n\nSecond paragraph.\n\n\\[print\\]"
    assert "|" not in md
    # a data table stays a table
    assert html_to_markdown("<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>") == (
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )


def test_stray_table_rows_are_unwrapped_from_html_bodies() -> None:
    from newscli.posts.markdown import unwrap_stray_table_parts

    body = "<tr><td>\n    <p>One.</p>\n\n        <p>Two.</p></td></tr>"
    fixed = unwrap_stray_table_parts(body)
    assert "<tr" not in fixed and "<td" not in fixed
    assert fixed.startswith("<div>") and "<p>One.</p>" in fixed and "<p>Two.</p>" in fixed
    seed_like = "<p>A</p><table><tr><td>1</td></tr></table>"
    assert unwrap_stray_table_parts(seed_like) is seed_like  # nothing stray: the very same text


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<p>{{ site.time | date: '%Y' }}</p>", "&#123;{ site.time \\| date: \\'%Y\\' }}"),
        ("<p>{% raw %} {{< x >}} {: .c}</p>", "&#123;% raw %} &#123;{\\< x >}} &#123;: .c}"),
        ("<p><code>{{ x }}</code></p>", "`{{ x }}`"),  # code as written (the profiles protect it)
        ("<p>a -- b ... c &gt;&gt; d</p>", "a \\-\\- b \\.\\.\\. c \\>\\> d"),
        ('<p><a href="https://e.com/{x}">l</a></p>', "[l](https://e.com/%7Bx%7D)"),
        ("<p><b>\u3000\u3000小标题</b></p>", "\u3000\u3000**小标题**"),
    ],
)
def test_text_stays_literal_for_site_generators(html: str, markdown: str) -> None:
    assert html_to_markdown(html) == markdown
