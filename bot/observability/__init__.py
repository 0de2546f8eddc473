"""What an operator sees of a running coach: Prometheus metrics, health checks, JSON logs."""
