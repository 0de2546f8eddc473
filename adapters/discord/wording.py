"""Everything the Discord adapter itself says (the coach's own words live in coaching/content).

Kept in one module so the wording can be reviewed without reading any logic. Messages
use the engine's light markup, which Discord renders as it is; labels, titles and
descriptions are plain text (Discord renders no markdown there).
"""

from __future__ import annotations

GROUP = "coach"
GROUP_DESCRIPTION = "Your social-media strategy coach"
TEAM = "team"
TEAM_DESCRIPTION = "The plan of this channel's team instead of your own"

#: Subcommand name → description (Discord shows at most 100 characters).
COMMANDS = {
    "start": "Start your plan, or pick up where you left off",
    "plan": "Show the plan and how its objectives are doing",
    "checkin": "Do this week's check-in now",
    "edit": "Change one part of the plan in a form",
    "schedule": "Move the weekly check-in",
    "pause": "Stop check-ins for a while",
    "resume": "Start check-ins again",
    "timezone": "Set the timezone check-ins follow",
    "export": "The plan as Markdown and JSON, with the check-in history and a progress chart",
    "forget": "Delete everything stored about this plan",
    "help": "What the coach can do",
}
PARAMETERS = {
    "section": "purpose, objectives, priorities or tactics",
    "weekday": "The day of the week, like friday",
    "time": "The time of day, like 08:30",
    "until": "A date or a span, like 2027-01-04 or two weeks; leave out to pause until you resume",
    "zone": "A city or zone name, like Berlin or America/New_York",
}
SECTION_TITLES = {
    "purpose": "purpose",
    "objectives": "objectives",
    "priorities": "priorities",
    "tactics": "tactics",
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

TEAM_NEEDS_CHANNEL = "A team plan belongs to a server channel: run **/coach team** there."
FORGET_TEAM_NEEDS_PERMISSION = "Only people who can manage this channel can delete its plan."
UNKNOWN_SECTION = "Pick one of purpose, objectives, priorities or tactics."
FAILED = "Sorry, something went wrong on my side. Please try again in a minute."

ANSWERED = "{who} chose **{label}**"
ANSWER_BUTTON = "Type an answer"
ANSWER_TITLE = "Your answer"
ANSWER_LABEL = "Your answer"
ANSWER_HINT = "Whatever you'd have typed in a chat"
ANSWER_ECHO = "{who}: {text}"
CHOOSE = "Choose an answer"

PICK_PART = "Which part of the **{section}** do you want to change?"
EDIT_TITLE = "Edit {title}"
FIX_BUTTON = "Fix it"
FORM_SAVED = "Saved the {section}. Use **/coach plan** to see the whole plan."
FORM_SAVED_TEAM = "{who} updated this channel's {section}."
FORM_ERRORS = (
    "Nothing was saved yet: some answers need another look. Discord forms can't show a "
    "problem next to the field, so here they are; **Fix it** opens the form again with "
    "what you typed."
)
FORM_ERROR_LINE = "**{label}**: {error}"

PLAN_TITLE = {"user": "Your social-media plan", "team": "This channel's social-media plan"}
PLAN_NEXT = "Next check-in: {schedule}"
PLAN_UNSCHEDULED = "Check-ins start once the plan is finished."
