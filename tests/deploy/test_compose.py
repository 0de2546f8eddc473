"""The compose file: valid Compose, and it starts things in the order that works: PostgreSQL
healthy, then the migrations, then the coach, all on one database."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from tests.deploy.dockerfile import env_pairs, parse
from tests.deploy.files import (
    COMPOSE_FILE,
    DOCKERFILE,
    REPO_ROOT,
    interpolate,
    load_yaml_documents,
    setting_names,
)

SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"
COACH_SERVICES = ("migrate", "coach")
PASSED_THROUGH = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "DISCORD_TOKEN",
)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    (document,) = load_yaml_documents(COMPOSE_FILE)
    return document


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    """As compose sees it on a host with none of the file's variables set."""
    resolved: dict[str, Any] = interpolate(raw, {})
    return resolved


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    content = SCHEMA.read_bytes()
    assert hashlib.sha256(content).hexdigest() == SCHEMA_SHA256, "the vendored schema changed"
    schema = json.loads(content)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def database_url(service: dict[str, Any]) -> str:
    return str(service["environment"]["COACH_DATABASE_URL"])


def test_matches_the_compose_specification(
    validator: jsonschema.Draft202012Validator, raw: dict[str, Any], compose: dict[str, Any]
) -> None:
    validator.validate(raw)
    validator.validate(compose)


def test_schema_rejects_a_misspelt_key(
    validator: jsonschema.Draft202012Validator, compose: dict[str, Any]
) -> None:
    """Proves the check above can fail: compose would refuse ``depend_on``, and so must the schema."""
    broken = copy.deepcopy(compose)
    broken["services"]["coach"]["depend_on"] = broken["services"]["coach"].pop("depends_on")
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_interpolation_reads_the_host_environment(raw: dict[str, Any]) -> None:
    resolved = interpolate(raw, {"POSTGRES_PASSWORD": "s3cret", "COACH_PUBLISHED_PORT": "8080"})
    assert urlsplit(database_url(resolved["services"]["coach"])).password == "s3cret"
    assert resolved["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == "s3cret"
    assert resolved["services"]["coach"]["ports"] == ["8080:3000"]


def test_coach_starts_after_postgres_is_healthy_and_migrated(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["coach"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no", "a one-shot that restarts never completes"
    assert services["coach"]["command"] == ["serve"]


def test_postgres_is_checked_with_pg_isready_and_keeps_its_data(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:16")
    test = postgres["healthcheck"]["test"]
    assert test[:2] == ["CMD", "pg_isready"]
    environment = postgres["environment"]
    assert test[test.index("-U") + 1] == environment["POSTGRES_USER"]
    assert test[test.index("-d") + 1] == environment["POSTGRES_DB"]
    volume, _, target = postgres["volumes"][0].partition(":")
    assert target == "/var/lib/postgresql/data"
    assert volume in compose["volumes"], "a named volume survives `docker compose down`"


@pytest.mark.parametrize("name", COACH_SERVICES)
def test_database_url_points_at_the_postgres_service(compose: dict[str, Any], name: str) -> None:
    url = urlsplit(database_url(compose["services"][name]))
    postgres = compose["services"]["postgres"]["environment"]
    assert url.scheme == "postgresql+asyncpg"
    assert url.hostname in compose["services"]
    assert compose["services"][url.hostname]["image"].startswith("postgres:")
    assert url.port == 5432
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == postgres["POSTGRES_DB"]


@pytest.mark.parametrize("name", COACH_SERVICES)
def test_coach_services_build_the_deploy_dockerfile_from_the_repository(
    compose: dict[str, Any], name: str
) -> None:
    build = compose["services"][name]["build"]
    assert (COMPOSE_FILE.parent / build["context"]).resolve() == REPO_ROOT
    assert (REPO_ROOT / build["dockerfile"]).resolve() == DOCKERFILE.resolve()
    assert compose["services"][name]["image"] == compose["services"]["coach"]["image"]


def test_coach_publishes_the_port_it_listens_on(compose: dict[str, Any]) -> None:
    image_environment: dict[str, str] = {}
    for instruction in parse(DOCKERFILE).final.all("ENV"):
        image_environment.update(env_pairs(instruction.value))
    coach = compose["services"]["coach"]
    (published,) = coach["ports"]
    assert published == f"3000:{image_environment['COACH_PORT']}"
    assert "healthcheck" not in coach or not coach["healthcheck"].get("disable"), (
        "the image's HEALTHCHECK applies"
    )


def test_platform_credentials_pass_through_unset_when_the_host_has_none(compose: dict[str, Any]) -> None:
    """A bare name takes the host's value and leaves the variable unset otherwise; an empty
    string would count as set (an empty SLACK_SIGNING_SECRET still turns verification on)."""
    environment = compose["services"]["coach"]["environment"]
    for name in PASSED_THROUGH:
        assert name in environment and environment[name] is None, name


@pytest.mark.parametrize("name", COACH_SERVICES)
def test_environment_names_are_real_settings(compose: dict[str, Any], name: str) -> None:
    names = set(compose["services"][name]["environment"])
    assert names <= setting_names(), f"{name} sets {names - setting_names()}, which the coach never reads"


def test_docker_compose_accepts_the_file() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker CLI not installed; the Compose schema test above covers the file")
    version = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=30)
    if version.returncode != 0:
        reason = ((version.stderr or version.stdout).strip() or "no output").splitlines()[0]
        pytest.skip(f"docker compose plugin not installed ({reason})")
    checked = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO_ROOT,
    )
    assert checked.returncode == 0, checked.stderr
