"""Everything the Slack adapter itself says (the coach's own words live in coaching/content).

Kept in one module so the wording can be reviewed without reading any logic. Light
markup, like the engine's: it goes through :func:`adapters.slack.mrkdwn.to_mrkdwn`.
"""

from __future__ import annotations

HOME_TITLE = "Your social-media plan"
HOME_EMPTY = (
    "You haven't made a plan yet. It takes about ten minutes: who you want to reach, "
    "what success looks like, how much time you have, and where to spend it."
)
HOME_START = "Start my plan"
HOME_CHECKIN = "Check in now"
HOME_NEXT = "**Next check-in:** {schedule}"
HOME_UNSCHEDULED = "Check-ins start once the plan is finished."
EDIT_BUTTON = "Edit {section}"
SECTION_TITLES = {
    "purpose": "purpose",
    "objectives": "objectives",
    "priorities": "priorities",
    "tactics": "tactics",
}
MODAL_TITLE = "Edit {section}"
MODAL_SUBMIT = "Save"
MODAL_CLOSE = "Cancel"
MODAL_SAVED = "Saved your {section}. Type **plan** to see the whole plan."
ANSWERED = "{who} chose **{label}**"
TYPE_IN_DM = "To type an answer, write to me in our direct messages."
FILES_IN_DM = "I've put the files in our direct messages."
TEAM_NEEDS_CHANNEL = "A team plan belongs to a channel: run **/coach team** in the team's channel."
INVITE_ME = "I can't post in this channel yet. Invite me with **/invite @coach**, then try again."
FAILED = "Sorry, something went wrong on my side. Please try again in a minute."
