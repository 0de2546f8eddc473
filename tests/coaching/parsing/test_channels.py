from __future__ import annotations

import pytest

from coaching.knowledge import Knowledge
from coaching.model import Job
from coaching.parsing import ChannelMatch, match_channel


@pytest.mark.parametrize(
    ("text", "key", "label"),
    [
        ("X", "twitter", "Twitter"),
        ("x", "twitter", "Twitter"),
        ("IG", "instagram", "Instagram"),
        ("insta", "instagram", "Instagram"),
        ("linked in", "linkedin", "LinkedIn"),
        ("FB", "facebook", "Facebook"),
        ("Facebook groups", "facebook", "Facebook"),
        ("instagramm", "instagram", "Instagram"),
        ("Twiter", "twitter", "Twitter"),
        ("tik tok", "tiktok", "TikTok"),
        ("Youtube", "youtube", "YouTube"),
        ("YT", "youtube", "YouTube"),
        ("pintrest", "pinterest", "Pinterest"),
        ("Slide Share", "slideshare", "SlideShare"),
        ("newsletter", "email", "Email"),
        ("a weekly newsletter", "email", "Email"),
        ("on Reddit", "reddit", "Reddit"),
        ("our Twitter account", "twitter", "Twitter"),
        ("**Twitter**", "twitter", "Twitter"),
        ("Discord server", "discord", "Discord"),
        ("slack", "slack", "Slack community"),
        ("community forum", "forum", "Community forum"),
        ("trade show", "events", "Events & meetups"),
        ("the local meetup", "events", "Events & meetups"),
        ("Mastodon", "mastodon", "Mastodon"),
        ("bsky", "bluesky", "Bluesky"),
        ("Threads", "threads", "Threads"),
        ("whatsapp", "whatsapp", "WhatsApp"),
        ("blogging", "blog", "Blog"),
        ("podcast", "podcast", "Podcast"),
    ],
)
def test_known_channels_by_name_alias_or_typo(text: str, key: str, label: str, knowledge: Knowledge) -> None:
    match = match_channel(text, knowledge)
    assert match is not None
    assert (match.key, match.label) == (key, label)
    assert match.score >= 85


def test_unrelated_phrase_stays_in_the_persons_words(knowledge: Knowledge) -> None:
    assert match_channel("drinks with industry friends", knowledge) == ChannelMatch(
        key=None, label="drinks with industry friends", score=0
    )


def test_unknown_label_is_tidied_but_keeps_first_letter(knowledge: Knowledge) -> None:
    match = match_channel("  Drinks with industry friends.  ", knowledge)
    assert match == ChannelMatch(key=None, label="Drinks with industry friends", score=0)


@pytest.mark.parametrize("text", ["xbox", "next", "Xmas cards", "5 x 3 grid", "peer groups", "box"])
def test_x_and_other_short_aliases_only_match_whole_words(text: str, knowledge: Knowledge) -> None:
    match = match_channel(text, knowledge)
    assert match is not None
    assert match.key is None


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_no_channel(text: str, knowledge: Knowledge) -> None:
    assert match_channel(text, knowledge) is None


def test_exact_match_scores_higher_than_typo(knowledge: Knowledge) -> None:
    exact = match_channel("Twitter", knowledge)
    typo = match_channel("Twiter", knowledge)
    assert exact is not None
    assert typo is not None
    assert exact.score == 100
    assert 85 <= typo.score < 100


def test_very_long_unknown_label_is_cut_for_display(knowledge: Knowledge) -> None:
    match = match_channel("word " * 200, knowledge)
    assert match is not None
    assert match.key is None
    assert len(match.label) <= 101


def test_channel_file_carries_the_methods_figures(knowledge: Knowledge) -> None:
    twitter = knowledge.channel("twitter")
    pinterest = knowledge.channel("pinterest")
    assert twitter is not None
    assert pinterest is not None
    traffic = twitter.fit(Job.TRAFFIC)
    assert traffic is not None
    assert traffic.level == "poor"
    assert traffic.figure == "click-through is typically below 0.5%"
    pin_traffic = pinterest.fit(Job.TRAFFIC)
    assert pin_traffic is not None
    assert pin_traffic.figure == "about 7 times Twitter's referral traffic"
    pin_support = pinterest.fit(Job.SUPPORT)
    assert pin_support is not None
    assert pin_support.level == "poor"
    assert pin_support.figure == "no practical use for customer support"


def test_channel_file_covers_the_common_channels(knowledge: Knowledge) -> None:
    expected = {
        "twitter",
        "linkedin",
        "facebook",
        "instagram",
        "youtube",
        "pinterest",
        "tiktok",
        "reddit",
        "slideshare",
        "email",
        "discord",
        "slack",
        "forum",
        "blog",
        "podcast",
        "events",
        "mastodon",
        "bluesky",
        "threads",
        "whatsapp",
    }
    assert expected <= set(knowledge.channels)
    events = knowledge.channel("events")
    assert events is not None
    assert events.offline


def test_better_fits_follow_the_method(knowledge: Knowledge) -> None:
    traffic = {c.key for c in knowledge.better_fits(Job.TRAFFIC)}
    assert {"email", "pinterest", "youtube", "slideshare", "linkedin"} <= traffic
    assert "twitter" not in traffic
    community = {c.key for c in knowledge.better_fits(Job.COMMUNITY)}
    assert {"email", "discord", "slack", "facebook"} <= community
    trends = {c.key for c in knowledge.better_fits(Job.TRENDS)}
    assert {"twitter", "reddit", "forum"} <= trends


def test_only_method_figures_are_given(knowledge: Knowledge) -> None:
    figures = {fit.figure for c in knowledge.channels.values() for fit in c.fits.values() if fit.figure}
    assert figures == {
        "click-through is typically below 0.5%",
        "about 7 times Twitter's referral traffic",
        "no practical use for customer support",
    }
