"""Production-shaped tests: several real ``coach serve`` processes sharing one PostgreSQL."""
