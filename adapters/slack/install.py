"""Multi-workspace install (OAuth v2): where installations and OAuth states are kept.

slack_sdk's async SQLAlchemy stores live on the project's own database, in tables of
their own (``slack_installations``, ``slack_bots``, ``slack_oauth_states``) that they
create themselves; the coach's migrations and ``forget`` never touch them.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:history",
    "im:write",
    "channels:history",
    "groups:history",
    "users:read",
    "files:write",
)


@dataclass(frozen=True, slots=True)
class OAuthStores:
    installations: AsyncSQLAlchemyInstallationStore
    states: AsyncSQLAlchemyOAuthStateStore

    async def create_tables(self) -> None:
        await self.installations.create_tables()  # type: ignore[no-untyped-call]
        await self.states.create_tables()  # type: ignore[no-untyped-call]


def oauth_stores(*, client_id: str, engine: AsyncEngine) -> OAuthStores:
    return OAuthStores(
        installations=AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine),
        states=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
    )


def oauth_settings(*, client_id: str, client_secret: str, stores: OAuthStores) -> AsyncOAuthSettings:
    return AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=stores.installations,
        state_store=stores.states,
        state_expiration_seconds=STATE_SECONDS,
    )


async def bot_token(installations: AsyncInstallationStore, tenant: str) -> str | None:
    """The bot token of an installed workspace (a tenant as in :mod:`adapters.slack.identity`).

    What a sender of scheduled check-ins needs in multi-workspace mode, where no
    ``SLACK_BOT_TOKEN`` exists; None once the workspace uninstalled the app.
    """
    enterprise, _, team = tenant.rpartition(":")
    bot = await installations.async_find_bot(
        enterprise_id=enterprise or None, team_id=team or None, is_enterprise_install=not team
    )
    return bot.bot_token if bot is not None else None
