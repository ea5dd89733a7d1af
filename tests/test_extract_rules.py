"""What a reader notices of the body clean-up and the choice of block: link-rich prose and in-body lists kept
while share bars and related-story lists go, datelines, quotes, soft hyphens, captions; pages with two articles."""

from __future__ import annotations

import json

from newscli.page.extract import extract_article

URL = "https://news.example.com/2024/03/12/harbour.html"
P = [
    "The harbour authority said on Tuesday that the new breakwater would be finished by the end of the year, "
    "two years later than planned, after storms damaged the first section.",
    "Engineers had warned that the original design underestimated the force of winter waves, and the revised "
    "plan adds a second row of concrete blocks along the seaward side.",
    "Fishing crews, who moor inside the harbour, welcomed the news but said the delay had cost them a season "
    "of repairs to boats battered at their moorings.",
    "The authority will publish the full budget next month, when the council meets to approve the extra cost "
    "of the second row and the work on the old pier.",
]


def page(body: str, head: str = "", around: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><title>Breakwater delayed</title>{head}</head><body>"
        '<div class="nav"><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></div>'
        f"{around}<div class='story'>{body}</div>"
        '<div class="footer"><a href="/about">About us</a> | <a href="/contact">Contact</a></div>'
        "</body></html>"
    )


def paras(items: list[str]) -> str:
    return "".join(f"<p>{t}</p>" for t in items)


def test_a_sentence_citing_three_sources_is_kept_while_share_bar_and_related_list_go() -> None:
    citing = (
        'Figures from <a href="https://a.example/report">the national weather office</a>, '
        '<a href="https://b.example/study">the port engineers\' association</a> and '
        '<a href="https://c.example/data">the university\'s coastal lab</a> agree.'
    )
    share = (
        '<div><a href="https://facebook.com/x">Facebook</a> <a href="https://twitter.com/x">Twitter</a> '
        '<a href="mailto:?">Email</a></div>'
    )
    related = (
        "<ul>"
        '<li><a href="/2024/03/01/a.html">Council approves new budget for the harbour district</a></li>'
        '<li><a href="/2024/02/20/b.html">Storm damage bill rises again as winter drags on</a></li>'
        '<li><a href="/2024/02/11/c.html">Fishing fleet shrinks for the third year running</a></li>'
        "</ul>"
    )
    body = paras(P[:2]) + f"<p>{citing}</p>" + share + paras(P[2:]) + related
    text = extract_article(page(body), URL).text
    assert (
        "the national weather office, the port engineers' association and the university's coastal lab agree."
        in text
    )
    assert "Facebook" not in text and "Twitter" not in text
    assert "Council approves new budget" not in text
    assert all(p in text for p in P)


def test_a_read_more_list_inside_the_text_stays_a_tag_row_inside_it_goes() -> None:
    reading = (
        "<ul>"
        '<li><a href="https://a.example/1">The 2019 survey of the seabed along the northern arm</a></li>'
        '<li><a href="https://a.example/2">The engineers\' report on the storm of January</a></li>'
        "</ul>"
    )
    tags = '<ul><li><a href="/t/port">Port</a></li><li><a href="/t/storm">Storm</a></li><li><a href="/t/sea">Sea</a></li></ul>'
    text = extract_article(page(paras(P[:2]) + reading + tags + paras(P[2:])), URL).text
    assert "The 2019 survey of the seabed along the northern arm" in text
    assert "The engineers' report on the storm of January" in text
    assert "Port\n" not in text and "Storm\n" not in text


def test_an_embedded_post_quoted_in_the_article_is_kept() -> None:
    tweet = (
        '<blockquote class="twitter-tweet"><p>Waves over the old pier again tonight <a href="https://t.co/x">'
        'pic.twitter.com/abc</a></p>&mdash; Harbour Watch (@harbourwatch) <a href="https://twitter.com/h/1">'
        "March 11, 2024</a></blockquote>"
    )
    text = extract_article(page(paras(P[:2]) + tweet + paras(P[2:])), URL).text
    assert "Waves over the old pier again tonight" in text


def test_a_dateline_opening_the_story_is_kept() -> None:
    first = f'<p><span class="dateline">CAIRO —</span> {P[0]}</p>'
    text = extract_article(page(first + paras(P[1:])), URL).text
    assert text.startswith("CAIRO — The harbour authority said")
    block = f'<div class="dateline">WASHINGTON (AP) —</div>{paras(P)}'
    assert extract_article(page(block), URL).text.startswith("WASHINGTON (AP) —")


def test_a_dateline_element_holding_only_the_date_is_not_text() -> None:
    body = f'<div class="dateline">Published March 12, 2024 at 7:30 a.m.</div>{paras(P)}'
    text = extract_article(page(body), URL).text
    assert "Published March 12" not in text and text.startswith("The harbour authority")


def test_soft_hyphens_are_removed() -> None:
    body = paras(
        [P[0].replace("breakwater", "break\u00adwater").replace("authority", "autho\u00adrity")] + P[1:]
    )
    article = extract_article(page(body), URL)
    assert "\u00ad" not in article.text and "\u00ad" not in (article.html or "")
    assert "the new breakwater would be finished" in article.text


def test_a_no_caption_class_is_not_a_caption() -> None:
    lede = f'<div class="lede no_caption">{P[0]}</div>'
    text = extract_article(page(lede + paras(P[1:])), URL).text
    assert text.startswith("The harbour authority said on Tuesday")
    captioned = '<figure><img src="/i.jpg"><div class="image-caption">Waves on the old pier.</div></figure>'
    assert (
        "Waves on the old pier"
        not in extract_article(page(paras(P[:2]) + captioned + paras(P[2:])), URL).text
    )


NEXT = [
    "In other news, the city's tram line will close for three weeks in the summer while workers replace the "
    "tracks on the bridge, the transport office said, adding that buses would run in its place.",
    "The closure, the longest since the line opened, was planned for the quietest weeks of the year, and "
    "shops along the route said they feared losing customers during the works.",
    "Officials said the new tracks would cut noise for the houses near the bridge, and that a second phase "
    "of the works, on the eastern branch, would follow in the autumn after a public consultation.",
    "Residents can find the replacement bus times on the transport office's website and at every stop, and "
    "the office will run an information stand at the central station on weekdays.",
    "The works will cost about twelve million, most of it paid by the regional government, which said the "
    "bridge had not had new rails since the line was built forty years ago.",
]


def test_of_two_articles_on_a_page_the_one_with_the_headline_wins() -> None:
    # An infinite-scroll page: the next story, longer, is appended below the one the page is about.
    first = f"<article><h1>Breakwater delayed</h1>{paras(P[:2])}</article>"
    second = f"<article><h2>Tram line to close</h2>{paras(NEXT)}</article>"
    text = extract_article(page(first + second), URL).text
    assert P[0] in text and P[1] in text
    assert NEXT[0] not in text


def test_a_teaser_box_chosen_over_the_article_is_replaced_by_its_json_ld_body() -> None:
    body = "\n".join(P + NEXT[:1])
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Breakwater delayed", '
        f'"articleBody": {json.dumps(body)}}}</script>'
    )
    # The page shows only the lede; the rest of the HTML is a long box about another story.
    shown = f"<div class='lede'><p>{P[0][:60]}…</p></div><div class='more'>{paras(NEXT)}</div>"
    text = extract_article(page(shown, head=ld), URL).text
    assert all(p in text for p in P)


def test_a_lazy_image_without_src_gets_its_real_address_and_base_href_is_followed() -> None:
    figure = '<figure><img src="" data-src="/img/pier.jpg" alt="The old pier"></figure>'
    link = '<p>See <a href="docs/plan.pdf">the plan</a> for the details of the work on the breakwater.</p>'
    html = extract_article(page(paras(P[:2]) + figure + link + paras(P[2:])), URL).html or ""
    assert 'src="https://news.example.com/img/pier.jpg"' in html
    assert 'href="https://news.example.com/2024/03/12/docs/plan.pdf"' in html
    based = page(paras(P[:2]) + link + paras(P[2:]), head='<base href="https://cdn.example.net/site/">')
    assert 'href="https://cdn.example.net/site/docs/plan.pdf"' in (extract_article(based, URL).html or "")


def _entry(title: str, date: str, texts: list[str]) -> str:
    return f"<div class='entry'><h3>{title}</h3><div class='date'>{date}</div>{paras(texts)}</div>"


def test_a_run_of_dated_blog_entries_is_cut_to_the_first_one() -> None:
    entries = _entry("Breakwater delayed", "2024-03-12 07:30", P) + _entry(
        "Tram line to close", "2024-03-09 18:02", NEXT
    )
    text = extract_article(page(entries), URL).text
    assert P[0] in text and P[-1] in text
    assert "Tram line to close" not in text and NEXT[0] not in text


def test_a_live_blog_with_times_on_one_day_is_kept_whole() -> None:
    entries = _entry("Waves reach the pier", "2024-03-12 07:30", P[:2]) + _entry(
        "Council meets", "2024-03-12 09:10", P[2:]
    )
    text = extract_article(page(entries), URL).text
    assert all(p in text for p in P)


def test_ad_slot_labels_are_not_text() -> None:
    body = paras(P[:2]) + "<div>Advertisement</div><p>Story continues below advertisement</p>" + paras(P[2:])
    text = extract_article(page(body), URL).text
    assert "Advertisement" not in text and "advertisement" not in text
    assert all(p in text for p in P)


def test_a_cookie_notice_longer_than_the_story_is_not_taken_for_it() -> None:
    notice = (
        "We and our partners use cookies, local storage and similar technologies, to personalise content and "
        "ads, to provide social media features, to measure audiences, and to improve our services."
    )
    banner = f"<div id='cookie-consent'>{paras([notice] * 3)}<button>Accept</button></div>"
    text = extract_article(
        page(f"<div><h1>Breakwater delayed</h1>{paras(P[:2])}</div>", around=banner), URL
    ).text
    assert P[0] in text and P[1] in text
    assert "cookies" not in text


def test_an_article_of_lists_is_read_whole_not_one_caption_of_it() -> None:
    items = "".join(f"<li>{t}</li>" for t in P + NEXT)
    caption = '<div class="wp-caption"><img src="/a.png"><p class="wp-caption-text">The new breakwater, seen from the old pier at dawn.</p></div>'
    body = f"<article><h1>Breakwater delayed</h1><h3>Highlights</h3><ul>{items}</ul>{caption}<ul>{items}</ul></article>"
    newsletter = f"<aside class='newsletter-subscribe'><form><p>{P[0]}</p><input name='email'></form></aside>"
    text = extract_article(page(body + newsletter), URL).text
    assert all(t in text for t in P + NEXT)


def test_a_lede_in_a_wrapper_whose_class_sounds_like_media_is_kept() -> None:
    lede = f'<div class="leafmedia sourced-paragraph"><p><cite>CAIRO (AP)</cite> {P[0]}</p></div>'
    body = lede + "".join(f'<div class="l-container"><p>{t}</p></div>' for t in P[1:] + NEXT)
    text = extract_article(page(body), URL).text
    assert text.startswith("CAIRO (AP) The harbour authority said on Tuesday")


EVENTS = [
    "Saturday, 10 a.m.: the spring market returns to the square, with local growers, bakers, cheese makers, "
    "and a children's corner, until four in the afternoon, rain or shine.",
    "Sunday, 2 p.m.: a guided walk along the old harbour wall, led by the history society, starting at the "
    "lighthouse, with tea, cake and a talk about the shipwrecks of the bay.",
    "Monday, 7 p.m.: the film club shows a documentary about the fishing fleet, followed by questions to the "
    "director, a former skipper, and drinks in the foyer of the town hall.",
    "Wednesday, 6 p.m.: the choir's open rehearsal, for singers of every age and voice, in the church hall, "
    "with sheet music provided, and a concert planned for the summer fair.",
]


def test_an_events_box_in_the_margins_is_not_taken_for_a_short_story() -> None:
    story = f"<div><h1>Breakwater delayed</h1>{paras(P[:2])}</div>"
    for margin in (f"<aside><h3>What's on</h3>{paras(EVENTS)}</aside>", f"<footer>{paras(EVENTS)}</footer>"):
        text = extract_article(page(story + margin), URL).text
        assert P[0] in text and P[1] in text
        assert "spring market" not in text


def test_a_long_related_stories_box_and_an_author_bio_are_not_the_story() -> None:
    teasers = "".join(
        f"<div class='teaser'><h4>Story {i}</h4><p>{t[:130]}</p></div>" for i, t in enumerate(NEXT[:3])
    )
    related = f"<div class='recommended-reading'>{teasers}</div>"
    bio = f"<div class='about-the-author'><p>{NEXT[3]}</p></div>"
    text = extract_article(page(paras(P) + related + bio), URL).text
    assert all(p in text for p in P)
    assert not any(t[:130] in text for t in NEXT[:4])


def test_teaser_cards_marked_as_articles_do_not_replace_a_story_outside_them() -> None:
    story = f"<div class='story-body'><h2>Breakwater delayed</h2>{paras(P + NEXT[4:])}</div>"
    cards = "".join(f"<article class='card'><h3>More</h3>{paras([t, t, t])}</article>" for t in NEXT[:2])
    text = extract_article(page(story + cards), URL).text
    assert all(p in text for p in P)


def test_a_timeline_of_dates_and_text_is_one_article() -> None:
    dates = ("2019-03-01", "2020-06-15", "2021-09-30")
    timeline = "".join(f"<p>{d}</p><p>{t}</p><p>{u}</p>" for d, t, u in zip(dates, NEXT, P, strict=False))
    text = extract_article(page(f"<h2>Ten years of the tram</h2>{timeline}"), URL).text
    assert all(t in text for t in NEXT[:3] + P[:3])
