"""Many owners with due weekly schedules, written straight into the tables in bulk.

Going through ``Store.save_turn`` costs a transaction per owner; the process tests and
the benchmark need thousands to hundreds of thousands of owners in seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scheduling.triggers import WEEKDAYS
from bot.storage.models import CheckinEntryRow, NudgeRow, OwnerRow, ScheduleRow

CHUNK = 5_000


def user_id(index: int) -> str:
    return f"U{index:08d}"


async def seed_owners(
    engine: AsyncEngine,
    count: int,
    *,
    due: datetime,
    start: int = 0,
    platform: str = "slack",
    tenant: str = "T0FAKE",
    sent_history_weeks: int = 0,
) -> list[int]:
    """``count`` user owners with a weekly UTC schedule whose next slot is ``due``.

    With ``sent_history_weeks``, each owner also gets that many past check-ins already
    sent and answered, so the outbox looks like a bot that has been running for a while
    (and no reminder is owed).
    """
    utc_due = due.astimezone(UTC)
    weekday, at = WEEKDAYS[utc_due.weekday()], f"{utc_due:%H:%M}"
    owner_ids: list[int] = []
    async with engine.begin() as connection:
        for first in range(start, start + count, CHUNK):
            last = min(first + CHUNK, start + count)
            subjects = [user_id(i) for i in range(first, last)]
            await connection.execute(
                insert(OwnerRow),
                [
                    {
                        "platform": platform,
                        "tenant": tenant,
                        "subject": subject,
                        "kind": "user",
                        "timezone": "UTC",
                        "created_at": due - timedelta(weeks=sent_history_weeks + 1),
                    }
                    for subject in subjects
                ],
            )
            ids = (
                (
                    await connection.execute(
                        select(OwnerRow.id).where(
                            OwnerRow.platform == platform,
                            OwnerRow.tenant == tenant,
                            OwnerRow.subject.in_(subjects),
                        )
                    )
                )
                .scalars()
                .all()
            )
            owner_ids.extend(ids)
            await connection.execute(
                insert(ScheduleRow),
                [
                    {
                        "owner_id": owner_id,
                        "weekday": weekday,
                        "time": at,
                        "timezone": "UTC",
                        "paused": False,
                        "paused_until": None,
                        "active": True,
                        "next_due_at": due,
                        "updated_at": due,
                    }
                    for owner_id in ids
                ],
            )
            for weeks_ago in range(1, sent_history_weeks + 1):
                slot = due - timedelta(weeks=weeks_ago)
                year, week, _ = slot.isocalendar()
                await connection.execute(
                    insert(NudgeRow),
                    [
                        {
                            "owner_id": owner_id,
                            "platform": platform,
                            "kind": "checkin",
                            "slot": slot,
                            "week": f"{year}-W{week:02d}",
                            "status": "sent",
                            "due_at": slot,
                            "attempts": 1,
                            "next_attempt_at": slot,
                            "sent_at": slot,
                            "message_ref": f"D{owner_id}:1.0",
                        }
                        for owner_id in ids
                    ],
                )
                await connection.execute(
                    insert(CheckinEntryRow),
                    [
                        {
                            "owner_id": owner_id,
                            "week": f"{year}-W{week:02d}",
                            "kind": "verdict",
                            "subject": "t1",
                            "verdict": "yes",
                            "created_at": slot + timedelta(hours=1),
                        }
                        for owner_id in ids
                    ],
                )
    return owner_ids
