"""A person's timezone from their Slack profile (``users.info``), remembered per process.

The engine takes a platform's timezone once, as a hint, so one lookup per person and
process is plenty; a failed lookup just means no hint.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class Profiles:
    def __init__(self, *, max_entries: int = 10_000) -> None:
        self._timezones: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._max_entries = max_entries

    async def timezone(self, client: AsyncWebClient, *, tenant: str, user_id: str) -> str | None:
        key = (tenant, user_id)
        if key in self._timezones:
            self._timezones.move_to_end(key)
            return self._timezones[key]
        try:
            response = await client.users_info(user=user_id)
            user = response.get("user")
            zone = user.get("tz") if isinstance(user, dict) else None
            found = zone if isinstance(zone, str) and zone else None
        except SlackApiError as error:
            log.warning("users.info failed: %s", error.response.get("error"))
            return None
        self._timezones[key] = found
        if len(self._timezones) > self._max_entries:
            self._timezones.popitem(last=False)
        return found
