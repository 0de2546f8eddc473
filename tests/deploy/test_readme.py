"""deploy/README.md is the operator's only guide: it must name every file they apply and
every credential the pods can read, or a rename here leaves it silently wrong."""

from __future__ import annotations

from tests.deploy.files import DEPLOY, KUBERNETES, load_yaml_documents

README = (DEPLOY / "README.md").read_text("utf-8")


def test_names_every_deployment_file() -> None:
    for path in [*DEPLOY.glob("*"), *KUBERNETES.glob("*")]:
        if path.name != "README.md":
            assert f"{path.name}`" in README or f"{path.name}/" in README, path.relative_to(DEPLOY)


def test_names_every_key_of_the_secret() -> None:
    (secret,) = load_yaml_documents(KUBERNETES / "secret.example.yaml")
    for key in secret["stringData"]:
        assert f"`{key}`" in README, key


def test_commands_point_at_the_files_that_exist() -> None:
    assert "docker compose -f deploy/docker-compose.yml up" in README
    assert "docker build -f deploy/Dockerfile" in README
    assert "kubectl apply -k deploy/kubernetes\n" in README
    assert "kubectl apply -k deploy/kubernetes/migrate\n" in README
