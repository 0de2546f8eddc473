"""The HTTP server: Slack's endpoints and the health check, on ``COACH_HOST``/``COACH_PORT``."""
