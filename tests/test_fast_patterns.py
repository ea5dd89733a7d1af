"""The cheaper forms of extraction's text patterns find exactly what the plain forms found.

Each fast form (a pattern searched only where its literal is, class names folded instead of re.I, a
lookbehind that tries a run of spaces once, str.split for line breaks) is checked against the plain form
it stands for, on texts built from the pieces the patterns look for, so that a needle that some match can
do without, or a fold that re.I would not make, fails here rather than losing a byline or a date.
"""

from __future__ import annotations

import random
import re

import pytest
from readability.readability import REGEXES

from newscli import dates
from newscli.dates import CHINA, find_dates
from newscli.page import byline, extract, metadata
from newscli.page.text import Needled

# What the byline, source and date patterns look for, and what sits around it on pages: a text is a run of
# pieces shaped like a credit (what comes before, a label, a separator, a name, what ends it), each drawn
# at random, so that every alternative of a pattern meets every neighbour.
BEFORE = [
    "",
    "",
    "\n",
    " ",
    "（",
    "(",
    "12:30 ",
    "08:19",
    "2004年7月16日08:19 ",
    "本报",
    "总台",
    "新华社",
    "特约",
    "实习",
]
LABELS = [
    "作者",
    "作 者",
    "撰文",
    "撰 稿",
    "执笔人",
    "原作者",
    "博主",
    "楼主",
    "发文机关",
    "发布机构",
    "发文单位",
    "发布单位",
    "文",
    "记者",
    "通讯员",
    "责任编辑",
    "责编",
    "编辑",
    "来源",
    "來源",
    "出处",
    "文章来源",
    "新闻来源",
    "source",
    "Source",
    "SOURCE",
    "ſource",
    "发表于",
    "的",
    "",
    "[",
    "【",
]
SEPARATORS = ["", ":", "：", " ", "　", "/", "／", "|", "\n", "： ", " [ ", "【"]
NAMES = [
    "张三",
    "李四",
    "王小五",
    "欧阳修",
    "张三、李四",
    "ggjjzhzz",
    "bjreader",
    "Reuters",
    "吉林省人民政府",
    "新华社",
]
AFTER = [
    "",
    " ",
    "\n",
    "）",
    ")",
    "。",
    " ]",
    "】",
    "报道）",
    "的博客",
    "的blog",
    " 发表于 2005-9-15 11:46",
    "发表于2005",
    "的部落格",
    "，",
    "来源",
    " 编辑",
]
NOISE = [
    "",
    "",
    "的",
    "文",
    "记者",
    "19",
    "20",
    "7/5/2005",
    "06/02/2022 - 13:48",
    "5月17日 20:10",
    "。",
    "\n",
    "2022年05月17日",
]


def texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    parts = (NOISE, BEFORE, LABELS, SEPARATORS, NAMES, AFTER, NOISE)
    return ["".join(rng.choice(part) for part in parts) for _ in range(count)]


def needled_patterns() -> dict[str, Needled]:
    zh = byline._zh()
    found = {name: value for name, value in vars(zh).items() if isinstance(value, Needled)}
    found.update({f"end_credits[{i}]": p for i, p in enumerate(zh.end_credits) if isinstance(p, Needled)})
    found["metadata._SOURCE"] = metadata._SOURCE
    return found


def test_the_needled_patterns_are_the_byline_and_source_patterns() -> None:
    assert set(needled_patterns()) >= {
        "author", "wen", "date_then_name", "reporter", "posted_by", "issuer", "blog_of", "editor",
        "end_credits[0]", "end_credits[1]", "metadata._SOURCE",
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(needled_patterns()))
def test_every_match_of_a_needled_pattern_holds_one_of_its_needles(name: str) -> None:
    pattern = needled_patterns()[name]
    matched = 0
    for text in texts(20000, seed=len(name)):
        for match in pattern.pattern.finditer(text):
            matched += 1
            assert any(n in match.group(0) for n in pattern.needles), (text, match.group(0))
        plain = pattern.pattern.search(text)
        fast = pattern.search(text)
        assert (plain and plain.span()) == (fast and fast.span())
    assert matched >= 10  # the texts do reach the pattern


def test_the_source_pattern_reads_what_the_case_blind_one_read() -> None:
    old = re.compile(
        r"(?:文章|新闻|信息|稿件)?(?:来源|來源|出处|source)\s*[:：]\s*[\[【(（《]?\s*"
        r"(?P<s>[^\s\[\]【】()（）《》|｜:：,，。;；]{2,30})",
        re.I,
    )
    for text in texts(6000, seed=7):
        assert [m["s"] for m in metadata._SOURCE.finditer(text)] == [m["s"] for m in old.finditer(text)]


def test_the_dates_skipped_for_want_of_a_year_or_a_slash_could_not_have_matched() -> None:
    found = 0
    for text in texts(6000, seed=3):
        for match in dates._NUMERIC.finditer(text):
            assert "19" in match.group(0) or "20" in match.group(0), text
        for match in dates._SLASHED.finditer(text):
            assert "/" in match.group(0) and ("19" in match.group(0) or "20" in match.group(0)), text
        found += len(find_dates(text, CHINA))
    assert found > 100
    assert [value.day for _, value, _ in find_dates("刊于 7/5/2005 与 2005-9-15 11:46", CHINA)] == [7, 15]


CLASS_WORDS = [
    "comment", "Comment", "COMMENT", "sidebar", "SideBar", "footer", "cookie", "Cookie-Banner", "newsletter",
    "sign-up", "main", "Main", "article", "body", "content", "shadow", "column", "and", "pager", "popup",
    "ad-break", "twitter", "x", "-", "_", " ", "1", "\u0130", "\u0131", "\u017f", "\u212a", "K", "S", "I",
    "ſhoutbox", "\u212aomment", "dıs", "\u0130", "RSS", "rſs", "menu", "MENU", "remar\u212a", "banner",
]  # fmt: skip


def test_class_names_are_matched_folded_as_re_ignorecase_matched_them() -> None:
    plain = {
        "unlikely": re.compile(REGEXES["unlikelyCandidatesRe"].pattern, re.I),
        "maybe": re.compile(REGEXES["okMaybeItsACandidateRe"].pattern, re.I),
        "notice": re.compile(extract._NOTICE.pattern, re.I),
    }
    fast = {"unlikely": extract._UNLIKELY, "maybe": extract._MAYBE, "notice": extract._NOTICE}
    for pattern in (*plain.values(), extract._SUSPECT):
        # folding is sound for lower-case ASCII words and hyphens only
        assert re.fullmatch(r"[a-z\-]+(?:\|[a-z\-]+)*", pattern.pattern), pattern.pattern
    rng = random.Random(5)
    hits = 0
    for _ in range(20000):
        names = "".join(rng.choice(CLASS_WORDS) for _ in range(rng.randint(1, 6)))
        folded = extract.fold_case(names)
        for key in plain:
            expected = bool(plain[key].search(names))
            assert bool(fast[key].search(folded)) == expected, (key, names)
            hits += expected
        either = bool(plain["unlikely"].search(names) or plain["notice"].search(names))
        assert bool(extract._SUSPECT.search(folded)) == either, names
    assert hits > 1000


SPACES = [
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\x85",
    "\u3000",
    "\xa0",
    "\x0b",
    "\x0c",
    "a",
    "字",
    "\u2028",
    "\x1c",
]


def test_readabilitys_clean_gives_what_readability_gives() -> None:
    import readability.readability

    assert readability.readability.clean is extract._clean  # readability's own calls take ours too
    assert extract.READABILITY_CLEAN is not extract._clean
    rng = random.Random(11)
    for _ in range(3000):
        run = [rng.choice(SPACES) for _ in range(rng.randint(0, 40))]
        if rng.random() < 0.3:
            run.insert(rng.randint(0, len(run)), rng.choice(" \n\t") * rng.randint(200, 700))
        text = "".join(run)
        assert extract._clean(text) == extract.READABILITY_CLEAN(text), repr(text)


def test_non_ascii_characters_are_counted_as_one_by_one() -> None:
    from newscli.page.charset import _wide

    rng = random.Random(17)
    for _ in range(5000):
        text = "".join(rng.choice("ab \x7f\x80é字\ufffd\U0001f600\udc80") for _ in range(rng.randint(0, 30)))
        assert _wide(text) == sum(1 for c in text if ord(c) > 0x7F), repr(text)
