"""Articles as Markdown posts: the post options, front matter profiles, body and footer.

The YAML itself is written by frontmatter.py; file names come from names.py, and the files
are written by folder.py (the output folder and its saved index).

Layout of a post: `---\\n<front matter>---\\n<body>\\n` — or, with a footer,
`---\\n<front matter>---\\n<body>\\n\\n<footer>` ending exactly where the footer ends (as the
seed post does).

Profiles (`--set KEY=TEMPLATE` overrides a field in place or appends a new one):

- jekyll: layout: post, title, date (`YYYY-MM-DD HH:MM:SS +ZZZZ`), categories, tags
- hugo:   title, date (RFC 3339), draft: false, categories, tags, source_url
- plain:  title, date (RFC 3339), url, author, source

Fields without a value (no author, no categories) are left out; `title` is always there.

Article text stays literal on the site (Jekyll runs Liquid on post bodies, Hugo runs shortcodes):
Markdown text writes a `{` that would open `{{`, `{%` or kramdown's `{:` as `&#123;` (markdown.py),
and HTML bodies do the same; what is left is code, where character references would show as
written. There the jekyll profile adds `render_with_liquid: false` to the post (only then: the seed
post has no Liquid and keeps its exact bytes), and the hugo profile writes a shortcode `{{< x >}}`
in Hugo's own escape `{{</* x */>}}` (an opener without its closer gets a word joiner after the
first brace). Hugo posts with an HTML body are `.html` files, which Hugo shows as HTML on a default
site (its Markdown renderer drops raw HTML). A footer is the site's own template: its Liquid or
shortcodes run, but the article's values in it are written like text (`&#123;`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newscli.config import BODIES, PROFILES
from newscli.errors import UsageError
from newscli.models import Article
from newscli.posts import markdown
from newscli.posts.frontmatter import Raw, front_matter, valid_key
from newscli.posts.templates import TemplateValues, article_date, check_template, render_with, unescape

# in bodies and footers: only what a terminal or editor would act on
_STRIP_BODY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")
_LIQUID = re.compile(r"\{[{%]")
_SHORTCODE = re.compile(r"\{\{([<%])(?!/\*)(.*?)([>%])\}\}")
_OPENER = re.compile(r"\{(?=\{[<%])")
WORD_JOINER = "\u2060"


_CHECKED: set[tuple[object, ...]] = set()  # the settings of PostOptions that passed check()

# ---- options and rendering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PostOptions:
    """How posts are rendered and named; templates as in cli.md."""

    profile: str = "jekyll"
    body: str = "markdown"
    sets: tuple[tuple[str, str], ...] = ()
    footer: str | None = None
    filename: str = "{date:%Y-%m-%d}-{slug}.md"
    # (placeholder URL, site link) pairs: the digest page's links to posts, put in after the body is protected
    links: tuple[tuple[str, str], ...] = ()
    # a Markdown body already written, in sections joined by blank lines (the day's page: one per feed),
    # used instead of the article's text or HTML
    markdown_sections: tuple[str, ...] = ()

    @property
    def name_template(self) -> str:
        """The filename template as written, but `.html` for Hugo's HTML bodies (Hugo renders those as HTML)."""
        if self.profile == "hugo" and self.body == "html" and self.filename.lower().endswith(".md"):
            return self.filename[:-3] + ".html"
        return self.filename

    def check(self) -> None:
        """Raise UsageError for a bad profile, body, field name or template (before any network work)."""
        what = (self.profile, self.body, self.sets, self.footer, self.filename)
        if what in _CHECKED:  # every save checks its options: the same few, thousands of times
            return
        self._check()
        if len(_CHECKED) > 256:
            _CHECKED.clear()
        _CHECKED.add(what)

    def _check(self) -> None:
        if self.profile not in PROFILES:
            raise UsageError(
                f"--profile: unknown profile {self.profile!r}; choose from {', '.join(PROFILES)}"
            )
        if self.body not in BODIES:
            raise UsageError(f"--body: unknown body {self.body!r}; choose from {', '.join(BODIES)}")
        for key, template in self.sets:
            if not valid_key(key):
                raise UsageError(f"--set {key}: bad field name (letters, digits, '_' and '-', not first)")
            check_template(template, what=f"--set {key}")
        if self.footer is not None:
            check_template(unescape(self.footer), what="--footer")
        check_template(self.filename, what="--filename")
        if not self.filename.strip():
            raise UsageError("--filename: empty template")


def parse_set(option: str) -> tuple[str, str]:
    """`KEY=TEMPLATE` from the command line as (key, template); UsageError when malformed."""
    key, sep, template = option.partition("=")
    key = key.strip()
    if not sep or not valid_key(key):
        raise UsageError(f"--set {option!r}: expected KEY=TEMPLATE")
    return key, template


def _profile_fields(article: Article, date: datetime, profile: str) -> list[tuple[str, object]]:
    title = article.title or ""
    source = article.source or article.site_name
    if profile == "jekyll":
        return [
            ("layout", Raw("post")),
            ("title", title),
            ("date", Raw(date.strftime("%Y-%m-%d %H:%M:%S %z").rstrip())),
            ("categories", list(article.categories)),
            ("tags", list(article.tags)),
        ]
    rfc3339 = Raw(date.isoformat(timespec="seconds"))
    if profile == "hugo":
        return [
            ("title", title),
            ("date", rfc3339),
            ("draft", False),
            ("categories", list(article.categories)),
            ("tags", list(article.tags)),
            ("source_url", article.url),
        ]
    return [
        ("title", title),
        ("date", rfc3339),
        ("url", article.url),
        ("author", article.author),
        ("source", source),
    ]


def _fields_for(article: Article, options: PostOptions, values: TemplateValues) -> list[tuple[str, object]]:
    fields = _profile_fields(article, values["date"], options.profile)
    for key, template in options.sets:
        value = render_with(template, values)
        for i, (existing, _) in enumerate(fields):
            if existing == key:
                fields[i] = (key, value)
                break
        else:
            fields.append((key, value))
    return fields


def post_body(article: Article, options: PostOptions) -> str:
    """The post's body as `options` convert it (Markdown or HTML), before links, footer and profile rules."""
    if options.body == "html":
        body = article.html if article.html is not None else markdown.text_to_html(article.text or "")
        body = markdown.unwrap_stray_table_parts(body)
        if options.profile != "plain":
            body = markdown.protect_braces(body)  # text, attributes and code all read `&#123;` as `{`
    elif options.markdown_sections:
        body = "\n\n".join(part for part in options.markdown_sections if part.strip())
    elif article.html:
        body = markdown.html_to_markdown(article.html)
    else:
        body = markdown.text_to_markdown(article.text or "")
    return _STRIP_BODY.sub("", body).rstrip("\n")


class _LiteralValues(Mapping[str, Any]):
    """Template values whose text cannot open Liquid, a shortcode or `{:` (see markdown.protect_braces)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> Any:
        value = self._values[key]
        return markdown.protect_braces(value) if isinstance(value, str) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _hugo_literal(text: str) -> str:
    """`text` with every shortcode opener left as text: `{{< x >}}` in Hugo's escape, a lone opener broken."""
    text = _SHORTCODE.sub(lambda m: "{{" + m.group(1) + "/*" + m.group(2) + "*/" + m.group(3) + "}}", text)
    parts = re.split(r"(\{\{[<%]/\*.*?\*/[>%]\}\})", text)
    return "".join(p if i % 2 else _OPENER.sub("{" + WORD_JOINER, p) for i, p in enumerate(parts))


def _put_links(body: str, links: tuple[tuple[str, str], ...]) -> str:
    """`body` with each placeholder of `links` replaced by its link, in one pass (a day's page has thousands).

    The body is split where the placeholders' common beginning occurs; each piece then starts with the
    rest of one placeholder or of none (the longest that fits wins)."""
    table = dict(links)
    prefix = os.path.commonprefix(list(table))
    if not prefix:
        for placeholder, link in links:
            body = body.replace(placeholder, link)
        return body
    rests = sorted({len(p) - len(prefix) for p in table}, reverse=True)
    pieces = body.split(prefix)
    out = [pieces[0]]
    for piece in pieces[1:]:
        for n in rests:
            found = table.get(prefix + piece[:n])
            if found is not None:
                out.append(found + piece[n:])
                break
        else:
            out.append(prefix + piece)
    return "".join(out)


def render_post(article: Article, options: PostOptions, *, now: datetime | None = None) -> str:
    """The whole post: front matter, body and footer (`now` dates an article without a date)."""
    return post_text(article, options, TemplateValues(article, now=now))


def post_head(article: Article, options: PostOptions, values: TemplateValues) -> str:
    """The post's front matter alone, as post_text begins (its title line the same), without the body's work."""
    return front_matter(_fields_for(article, options, values))


def post_text(
    article: Article, options: PostOptions, values: TemplateValues, *, body: str | None = None
) -> str:
    """The whole post from already computed template values (the folder renders names from the same).

    `body`: post_body(article, options), when the caller already has it."""
    fields = _fields_for(article, options, values)
    if body is None:
        body = post_body(article, options)
    footer = None
    if options.footer is not None:
        # the footer is the site's own template (its Liquid or shortcodes run); the article's values in it don't
        shown = values if options.profile == "plain" else _LiteralValues(values)
        footer = _STRIP_BODY.sub("", render_with(unescape(options.footer), shown))
    if options.profile == "jekyll" and _LIQUID.search(body):
        # code the article quotes (`{{ page.title }}` in a code block) must not run
        if not any(key == "render_with_liquid" for key, _ in fields):
            fields.append(("render_with_liquid", False))
    elif options.profile == "hugo":
        body = _hugo_literal(body)
    if options.links:
        body = _put_links(body, options.links)
    text = front_matter(fields) + body
    if footer is not None:
        return text + "\n\n" + footer
    return text + "\n"


__all__ = ["PROFILES", "PostOptions", "article_date", "parse_set", "post_body", "render_post"]
