"""The Slack adapter: Bolt app, Block Kit rendering, and the sender the scheduler uses."""
