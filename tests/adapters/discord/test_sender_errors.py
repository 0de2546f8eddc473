"""How the sender sorts Discord's failures for the dispatcher."""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp
import discord
import pytest

from adapters.discord.sender import send_error
from bot.scheduling.ports import PermanentSendError, TransientSendError


def http_error(cls: type[discord.HTTPException], status: int, code: int, message: str = "") -> Exception:
    response = SimpleNamespace(status=status, reason="")
    return cls(response, {"code": code, "message": message})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        http_error(discord.Forbidden, 403, 50007, "Cannot send messages to this user"),
        http_error(discord.HTTPException, 400, 50007, "Cannot send messages to this user"),
        http_error(discord.NotFound, 404, 10003, "Unknown Channel"),
        http_error(discord.Forbidden, 403, 50001, "Missing Access"),
    ],
)
def test_an_owner_that_cannot_be_reached_is_permanent(error: Exception) -> None:
    assert isinstance(send_error(error), PermanentSendError)


@pytest.mark.parametrize(
    "error",
    [
        http_error(discord.DiscordServerError, 502, 0),
        http_error(discord.HTTPException, 429, 0, "You are being rate limited."),
        aiohttp.ClientConnectionError("reset"),
        TimeoutError(),
    ],
)
def test_trouble_on_the_way_is_transient(error: Exception) -> None:
    assert isinstance(send_error(error), TransientSendError)


def test_a_long_rate_limit_comes_back_with_discords_wait() -> None:
    mapped = send_error(discord.RateLimited(42.5))
    assert isinstance(mapped, TransientSendError) and mapped.retry_after == 42.5


def test_a_refused_payload_is_our_bug_not_the_owners() -> None:
    mapped = send_error(http_error(discord.HTTPException, 400, 50035, "Invalid Form Body"))
    assert type(mapped) is RuntimeError
