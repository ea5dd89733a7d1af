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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from newscli.config import BODIES, PROFILES
from newscli.errors import UsageError
from newscli.models import Article
from newscli.posts import markdown
from newscli.posts.frontmatter import Raw, front_matter, valid_key
from newscli.posts.templates import TemplateValues, article_date, check_template, render_with, unescape

# in bodies and footers: only what a terminal or editor would act on
_STRIP_BODY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")


# ---- options and rendering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PostOptions:
    """How posts are rendered and named; templates as in cli.md."""

    profile: str = "jekyll"
    body: str = "markdown"
    sets: tuple[tuple[str, str], ...] = ()
    footer: str | None = None
    filename: str = "{date:%Y-%m-%d}-{slug}.md"

    def check(self) -> None:
        """Raise UsageError for a bad profile, body, field name or template (before any network work)."""
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


def _body(article: Article, options: PostOptions) -> str:
    if options.body == "html":
        body = article.html if article.html is not None else markdown.text_to_html(article.text or "")
    elif article.html:
        body = markdown.html_to_markdown(article.html)
    else:
        body = markdown.text_to_markdown(article.text or "")
    return _STRIP_BODY.sub("", body).rstrip("\n")


def render_post(article: Article, options: PostOptions, *, now: datetime | None = None) -> str:
    """The whole post: front matter, body and footer (`now` dates an article without a date)."""
    return post_text(article, options, TemplateValues(article, now=now))


def post_text(article: Article, options: PostOptions, values: TemplateValues) -> str:
    """The whole post from already computed template values (the folder renders names from the same)."""
    text = front_matter(_fields_for(article, options, values)) + _body(article, options)
    if options.footer is not None:
        footer = _STRIP_BODY.sub("", render_with(unescape(options.footer), values))
        return text + "\n\n" + footer
    return text + "\n"


__all__ = ["PROFILES", "PostOptions", "article_date", "parse_set", "render_post"]
