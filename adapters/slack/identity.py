"""Who a Slack request is about: the tenant, the owner of a plan, the platform event key.

Every stored row is scoped by (platform, tenant, subject). On Slack the tenant is the
workspace, qualified by its Enterprise Grid organisation when there is one, so two
workspaces, or the same team id seen through two organisations, never share rows.
"""

from __future__ import annotations

from coaching.model import Owner

PLATFORM = "slack"


def tenant_of(*, enterprise_id: str | None, team_id: str | None) -> str:
    """``T123``, or ``E456:T123`` inside an Enterprise Grid organisation."""
    team = team_id or ""
    return f"{enterprise_id}:{team}" if enterprise_id else team


def personal_owner(tenant: str, user_id: str) -> Owner:
    return Owner(platform=PLATFORM, tenant=tenant, subject=user_id, kind="user")


def team_owner(tenant: str, channel_id: str) -> Owner:
    return Owner(platform=PLATFORM, tenant=tenant, subject=channel_id, kind="team")


def event_key(tenant: str, event_id: str) -> tuple[str, str, str]:
    """The key the service deduplicates retried events by (Slack resends the same ``event_id``)."""
    return (PLATFORM, tenant, event_id)
