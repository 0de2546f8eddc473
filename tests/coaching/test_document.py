"""The version-1 plan document is a public contract: it round-trips and rejects bad input clearly."""

from __future__ import annotations

import json

import pytest

from coaching.document import DocumentError, plan_from_document, plan_to_document

from .harness import WORKED_EXAMPLE, Conversation


def worked_plan_document() -> dict[str, object]:
    convo = Conversation()
    convo.start()
    for line in WORKED_EXAMPLE:
        convo.say(line)
    assert convo.plan is not None
    return plan_to_document(convo.plan)


def test_round_trip_is_exact() -> None:
    document = worked_plan_document()
    again = plan_to_document(plan_from_document(json.loads(json.dumps(document))))
    assert again == document


def test_document_has_the_contract_fields() -> None:
    document = worked_plan_document()
    assert set(document) >= {
        "version",
        "owner",
        "timezone",
        "schedule",
        "purpose",
        "objectives",
        "priorities",
        "tactics",
        "not_doing",
    }
    tactic = document["tactics"][0]  # type: ignore[index]
    assert set(tactic) >= {"id", "channel", "label", "objective", "hours_per_week", "stage", "active"}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"version": 2}, "version 1"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"objectives": [{"id": "o1", "job": "fame"}]}, "objectives[0].job"),
        ({"objectives": "lots"}, "should be a list"),
        ({"tactics": [{"id": "t1", "channel": "x", "objective": "o9"}]}, "not an objective id"),
        ({"schedule": {"weekday": "someday"}}, "weekday"),
    ],
)
def test_bad_documents_are_refused_with_a_readable_reason(patch: dict[str, object], message: str) -> None:
    document = {**worked_plan_document(), **patch}
    with pytest.raises(DocumentError, match=message.replace("[", r"\[").replace("]", r"\]")):
        plan_from_document(document)
