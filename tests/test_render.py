"""The output boundary: what reaches a terminal is inert, JSON keeps the data, the rich view keeps structure."""

from __future__ import annotations

import io
import json

import pytest

from newscli.cli.render import body_blocks, clean, rich_printer, to_json


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain 中文 text", "plain 中文 text"),
        ("red\x1b[31m alert", "red[31m alert"),
        ("osc\x1b]52;c;aGk=\x07 end", "osc]52;c;aGk= end"),
        ("c1\x9b2J csi", "c12J csi"),
        ("bidi \u202egnp.exe", "bidi gnp.exe"),
        ("nul\x00 del\x7f", "nul del"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("crlf\r\nline", "crlf\nline"),
        (None, ""),
    ],
)
def test_clean_strips_what_a_terminal_would_act_on(raw, shown):
    assert clean(raw) == shown


def test_json_escapes_c1_and_bidi_but_keeps_the_data():
    value = {"title": "a\x9bb\u202ec\x1bd 中文"}
    text = to_json(value)
    assert "\x9b" not in text and "\u202e" not in text and "\x1b" not in text
    assert json.loads(text) == value
    assert "中文" in text  # not \\u-escaped


def test_rich_view_keeps_subheads_lists_and_quotes():
    html = (
        "<p>第一段正文。</p><p><strong>小标题</strong></p><h2>Heading</h2>"
        "<ul><li>one</li><li>two</li></ul><blockquote><p>quoted words</p></blockquote><p>tail</p>"
    )
    assert body_blocks({"html": html}) == [
        ("第一段正文。", ""),
        ("小标题", "bold"),
        ("Heading", "bold"),
        ("• one", ""),
        ("• two", ""),
        ("│ quoted words", "italic dim"),
        ("tail", ""),
    ]


def test_rich_view_falls_back_to_text_paragraphs():
    assert body_blocks({"html": None, "text": "one\n\ntwo"}) == [("one", ""), ("two", "")]


def test_rich_view_prints_markup_literally():
    out = io.StringIO()
    show = rich_printer(out, width=100)
    title = "[bold]x[/] [/] [link=https://evil.example/]click[/link] :warning:"
    show({"title": title, "html": f"<p>{title}</p>", "source": "[red]src"}, None)
    text = out.getvalue()
    assert text.count(title) == 2 and "[red]src" in text and "\x1b" not in text
