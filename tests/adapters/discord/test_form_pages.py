"""Sections split into modal pages of at most five inputs, and submissions read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.discord.forms import Drafts, complete_values, form_pages, submitted_values
from adapters.discord.identity import personal_owner
from coaching.forms import Field


def field(name: str, value: str = "") -> Field:
    return Field(name, name.replace(".", " "), value)


def test_a_section_that_fits_is_one_page() -> None:
    fields = [field(n) for n in ("audience", "why", "what", "start_with")]
    [page] = form_pages(fields, section="purpose", names={})
    assert (page.key, page.title, len(page.fields)) == ("", "Edit purpose", 4)


def test_a_longer_section_gets_a_page_per_item_named_after_it() -> None:
    fields = [
        field(f"{o}.{n}") for o in ("o1", "o2") for n in ("description", "target", "baseline", "deadline")
    ]
    fields.append(Field("new.objective", "Add an objective", ""))
    pages = form_pages(
        fields, section="objectives", names={"o1": "Answer support on Twitter", "o2": "Email sales"}
    )
    assert [(p.key, p.label, p.title) for p in pages] == [
        ("o1", "Answer support on Twitter", "Edit Answer support on Twitter"),
        ("o2", "Email sales", "Edit Email sales"),
        ("new", "Add an objective", "Add an objective"),
    ]
    assert all(len(p.fields) <= 5 for p in pages)


def test_an_item_with_more_fields_than_a_modal_holds_is_cut_into_pages() -> None:
    fields = [field(f"t1.f{n}") for n in range(7)]
    pages = form_pages(fields, section="tactics", names={"t1": "Twitter"})
    assert [(p.key, len(p.fields)) for p in pages] == [("t1.0", 5), ("t1.1", 2)]


def test_submitted_values_are_read_from_labels_and_action_rows() -> None:
    components = [
        {"type": 18, "component": {"type": 4, "custom_id": "o1.target", "value": "80"}},
        {"type": 18, "component": {"type": 3, "custom_id": "t1.stage", "values": ["lead"]}},
        {"type": 18, "component": {"type": 3, "custom_id": "t1.keep", "values": []}},
        {"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": "hello"}]},
        {"type": 10, "content": "a text display has no value"},
    ]
    assert submitted_values(components) == {
        "o1.target": "80",
        "t1.stage": "lead",
        "t1.keep": "",
        "answer": "hello",
    }


def test_the_rest_of_the_section_is_filled_in_from_the_stored_values() -> None:
    fields = [field("o1.target", "90"), field("o2.target", "50")]
    assert complete_values(fields, {"o1.target": "95"}) == {"o1.target": "95", "o2.target": "50"}


def test_drafts_are_kept_a_while_and_never_more_than_the_limit() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    drafts = Drafts(clock=lambda: now, ttl=timedelta(minutes=30), limit=2)
    owner = personal_owner(1)
    for page in ("a", "b", "c"):
        drafts.keep((owner, 1, "objectives", page), {"x": page}, {"x": "bad"})
    assert drafts.get((owner, 1, "objectives", "a")) is None, "the oldest made room"
    kept = drafts.get((owner, 1, "objectives", "c"))
    assert kept is not None and kept.values == {"x": "c"}
    assert drafts.get((owner, 2, "objectives", "c")) is None, "another person's draft is theirs"

    now += timedelta(minutes=31)
    assert drafts.get((owner, 1, "objectives", "c")) is None
