"""The version-1 plan document: what ``coach plan --format json`` prints and ``import`` takes.

The field names are a public contract (DESIGN.md): they may grow but never change meaning.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coaching.model import (
    Job,
    NotDoing,
    Objective,
    Owner,
    Plan,
    Priorities,
    Purpose,
    Schedule,
    Stage,
    Tactic,
)

DOCUMENT_VERSION = 1
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class DocumentError(ValueError):
    """A plan document that cannot be read; the message is fit to show a person."""


def _num(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def plan_to_document(plan: Plan) -> dict[str, Any]:
    return {
        "version": DOCUMENT_VERSION,
        "owner": {
            "platform": plan.owner.platform,
            "tenant": plan.owner.tenant,
            "subject": plan.owner.subject,
            "kind": plan.owner.kind,
        },
        "timezone": plan.timezone,
        "schedule": {
            "weekday": plan.schedule.weekday,
            "time": plan.schedule.time,
            "paused": plan.schedule.paused,
            "paused_until": plan.schedule.paused_until.isoformat() if plan.schedule.paused_until else None,
        },
        "purpose": {
            "audience": plan.purpose.audience,
            "why": plan.purpose.why,
            "what": plan.purpose.what,
            "start_with": plan.purpose.start_with,
        },
        "objectives": [
            {
                "id": o.id,
                "job": o.job.value,
                "description": o.description,
                "metric": o.metric,
                "baseline": _num(o.baseline),
                "target": _num(o.target),
                "unit": o.unit,
                "deadline": o.deadline.isoformat() if o.deadline else None,
            }
            for o in plan.objectives
        ],
        "priorities": {
            "ranking": list(plan.priorities.ranking),
            "hours_per_week": _num(plan.priorities.hours_per_week),
            "boundaries": list(plan.priorities.boundaries),
        },
        "tactics": [
            {
                "id": t.id,
                "channel": t.channel,
                "label": t.label,
                "objective": t.objective,
                "job": t.job.value if t.job else None,
                "goal": t.goal,
                "hours_per_week": _num(t.hours_per_week),
                "stage": t.stage.value if t.stage else None,
                "active": t.active,
            }
            for t in plan.tactics
        ],
        "not_doing": [
            {
                "what": n.what,
                "why": n.why,
                "would_use": list(n.would_use),
                "job": n.job.value if n.job else None,
            }
            for n in plan.not_doing
        ],
    }


def _str(value: Any, where: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise DocumentError(f"{where} is missing")
        return None
    if not isinstance(value, str):
        raise DocumentError(f"{where} should be text")
    return _text(value)


def _text(value: object) -> str:
    """Text as it can be stored everywhere: NUL characters dropped.

    They mean nothing in a plan, and PostgreSQL's JSONB refuses them where SQLite would
    keep them, so an imported document must not depend on the database it lands in.
    """
    return str(value).replace("\x00", "")


def _time(value: Any) -> str:
    text = _str(value, "schedule.time") or "09:00"
    try:
        parsed = time.fromisoformat(text)
    except ValueError as exc:
        raise DocumentError("schedule.time should be a time like 09:00") from exc
    return parsed.strftime("%H:%M")


def _float(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DocumentError(f"{where} should be a number")
    return float(value)


def _date(value: Any, where: str) -> date | None:
    text = _str(value, where)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise DocumentError(f"{where} should be a date like 2027-06-30") from exc


E = TypeVar("E", Job, Stage)


def _enum(kind: type[E], value: Any, where: str) -> E | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in kind)
        raise DocumentError(f"{where} should be one of {allowed}") from exc


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise DocumentError(f"{where} should be a list")
    return value


def _dict(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DocumentError(f"{where} should be an object")
    return value


def plan_from_document(doc: Any, *, owner: Owner | None = None) -> Plan:
    """Read a document, checking every field; ``owner`` overrides the one inside it."""
    doc = _dict(doc, "the plan")
    if doc.get("version", DOCUMENT_VERSION) != DOCUMENT_VERSION:
        raise DocumentError(f"only version {DOCUMENT_VERSION} plan documents can be read")
    if owner is None:
        o = _dict(doc.get("owner"), "owner")
        kind = o.get("kind", "user")
        if kind not in ("user", "team"):
            raise DocumentError("owner.kind should be user or team")
        owner = Owner(
            platform=_str(o.get("platform"), "owner.platform", required=True) or "",
            tenant=_str(o.get("tenant"), "owner.tenant", required=True) or "",
            subject=_str(o.get("subject"), "owner.subject", required=True) or "",
            kind=kind,
        )
    timezone = _str(doc.get("timezone"), "timezone") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DocumentError(f"timezone {timezone!r} is not a known time zone") from exc
    s = _dict(doc.get("schedule"), "schedule")
    weekday = (_str(s.get("weekday"), "schedule.weekday") or "monday").lower()
    if weekday not in WEEKDAYS:
        raise DocumentError("schedule.weekday should be a day name like monday")
    p = _dict(doc.get("purpose"), "purpose")
    objectives = []
    for i, raw in enumerate(_list(doc.get("objectives"), "objectives")):
        r = _dict(raw, f"objectives[{i}]")
        job = _enum(Job, r.get("job"), f"objectives[{i}].job")
        if job is None:
            raise DocumentError(f"objectives[{i}].job is missing")
        objectives.append(
            Objective(
                id=_str(r.get("id"), f"objectives[{i}].id", required=True) or "",
                job=job,
                description=_str(r.get("description"), f"objectives[{i}].description") or "",
                metric=_str(r.get("metric"), f"objectives[{i}].metric"),
                baseline=_float(r.get("baseline"), f"objectives[{i}].baseline"),
                target=_float(r.get("target"), f"objectives[{i}].target"),
                unit=_str(r.get("unit"), f"objectives[{i}].unit"),
                deadline=_date(r.get("deadline"), f"objectives[{i}].deadline"),
            )
        )
    ids = {o.id for o in objectives}
    pr = _dict(doc.get("priorities"), "priorities")
    tactics = []
    for i, raw in enumerate(_list(doc.get("tactics"), "tactics")):
        r = _dict(raw, f"tactics[{i}]")
        objective = _str(r.get("objective"), f"tactics[{i}].objective")
        if objective is not None and objective not in ids:
            raise DocumentError(f"tactics[{i}].objective {objective!r} is not an objective id")
        channel = _str(r.get("channel"), f"tactics[{i}].channel", required=True) or ""
        tactics.append(
            Tactic(
                id=_str(r.get("id"), f"tactics[{i}].id", required=True) or "",
                channel=channel,
                label=_str(r.get("label"), f"tactics[{i}].label") or channel,
                objective=objective,
                job=_enum(Job, r.get("job"), f"tactics[{i}].job"),
                goal=_str(r.get("goal"), f"tactics[{i}].goal"),
                hours_per_week=_float(r.get("hours_per_week"), f"tactics[{i}].hours_per_week"),
                stage=_enum(Stage, r.get("stage"), f"tactics[{i}].stage"),
                active=bool(r.get("active", True)),
            )
        )
    not_doing = []
    for i, raw in enumerate(_list(doc.get("not_doing"), "not_doing")):
        r = _dict(raw, f"not_doing[{i}]")
        not_doing.append(
            NotDoing(
                what=_str(r.get("what"), f"not_doing[{i}].what", required=True) or "",
                why=_str(r.get("why"), f"not_doing[{i}].why"),
                would_use=tuple(_text(x) for x in _list(r.get("would_use"), f"not_doing[{i}].would_use")),
                job=_enum(Job, r.get("job"), f"not_doing[{i}].job"),
            )
        )
    return Plan(
        owner=owner,
        timezone=timezone,
        schedule=Schedule(
            weekday=weekday,
            time=_time(s.get("time")),
            paused=bool(s.get("paused", False)),
            paused_until=_date(s.get("paused_until"), "schedule.paused_until"),
        ),
        purpose=Purpose(
            audience=_str(p.get("audience"), "purpose.audience"),
            why=_str(p.get("why"), "purpose.why"),
            what=_str(p.get("what"), "purpose.what"),
            start_with=_str(p.get("start_with"), "purpose.start_with"),
        ),
        objectives=tuple(objectives),
        priorities=Priorities(
            ranking=tuple(
                x for x in (str(v) for v in _list(pr.get("ranking"), "priorities.ranking")) if x in ids
            ),
            hours_per_week=_float(pr.get("hours_per_week"), "priorities.hours_per_week"),
            boundaries=tuple(_text(b) for b in _list(pr.get("boundaries"), "priorities.boundaries")),
        ),
        tactics=tuple(tactics),
        not_doing=tuple(not_doing),
    )
