from __future__ import annotations

import pytest

from coaching.knowledge import Knowledge
from coaching.model import Job
from coaching.parsing import JobMention, detect_job, find_jobs


@pytest.mark.parametrize(
    ("text", "job", "wording"),
    [
        ("for sales", Job.TRAFFIC, "sales"),
        ("traffic", Job.TRAFFIC, "traffic"),
        ("more signups", Job.TRAFFIC, "signups"),
        ("support", Job.SUPPORT, "support"),
        ("customer support", Job.SUPPORT, "customer support"),
        ("answering questions", Job.SUPPORT, "answering questions"),
        ("suport", Job.SUPPORT, "support"),
        ("Trend-watching", Job.TRENDS, "trend watching"),
        ("what customers think", Job.TRENDS, "what customers think"),
        ("listening", Job.TRENDS, "listening"),
        ("comunity", Job.COMMUNITY, "community"),
        ("build a tribe", Job.COMMUNITY, "tribe"),
        ("more followers", Job.COMMUNITY, "followers"),
    ],
)
def test_everyday_words_name_a_job(text: str, job: Job, wording: str, knowledge: Knowledge) -> None:
    mention = detect_job(text, knowledge)
    assert mention is not None
    assert (mention.job, mention.wording) == (job, wording)


def test_sales_and_traffic_are_one_job_with_different_wording(knowledge: Knowledge) -> None:
    sales = detect_job("email for sales", knowledge)
    traffic = detect_job("nothing for traffic", knowledge)
    assert sales is not None
    assert traffic is not None
    assert sales.job is traffic.job is Job.TRAFFIC
    assert sales.wording == "sales"
    assert traffic.wording == "traffic"


def test_find_jobs_is_in_text_order_with_offsets(knowledge: Knowledge) -> None:
    text = "Twitter for support, email for sales and Discord for community"
    assert find_jobs(text, knowledge) == [
        JobMention(Job.SUPPORT, "support", text.index("support")),
        JobMention(Job.TRAFFIC, "sales", text.index("sales")),
        JobMention(Job.COMMUNITY, "community", text.index("community")),
    ]


def test_exact_keyword_beats_earlier_typo(knowledge: Knowledge) -> None:
    mention = detect_job("comunity and sales", knowledge)
    assert mention is not None
    assert mention.wording == "sales"


@pytest.mark.parametrize("text", ["", "hello there", "listed items", "Twitter", "a salesforce login"])
def test_no_job_in_unrelated_text(text: str, knowledge: Knowledge) -> None:
    assert detect_job(text, knowledge) is None


def test_job_file_has_goal_phrases_for_the_check_in(knowledge: Knowledge) -> None:
    goals = {job: info.goal for job, info in knowledge.jobs.items()}
    assert goals == {
        Job.SUPPORT: "support",
        Job.TRENDS: "trends",
        Job.TRAFFIC: "traffic & sales",
        Job.COMMUNITY: "community",
    }
    names = {job: info.name for job, info in knowledge.jobs.items()}
    assert names[Job.TRAFFIC] == "Traffic & sales"
    for info in knowledge.jobs.values():
        assert 1 < info.explanation.count(".") <= 4
