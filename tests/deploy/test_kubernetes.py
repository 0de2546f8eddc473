"""The Kubernetes manifests: valid for the API server (the published OpenAPI schemas, strict,
so a misspelt field fails), and consistent with each other, the image and the settings."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest

from tests.deploy.dockerfile import parse
from tests.deploy.files import DOCKERFILE, KUBERNETES, load_yaml_documents, setting_names

# The oldest Kubernetes minor deploy/README.md promises, and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.utils.latest_version())
KUSTOMIZATIONS = {KUBERNETES / "kustomization.yaml", KUBERNETES / "migrate" / "kustomization.yaml"}
SECRET_EXAMPLE = KUBERNETES / "secret.example.yaml"
# Applied by hand, never by `kubectl apply -k deploy/kubernetes` (deploy/README.md says how).
NOT_IN_MAIN_KUSTOMIZATION = {SECRET_EXAMPLE, *(KUBERNETES / "migrate").glob("*.yaml")}


def manifest_files() -> list[Path]:
    return sorted(path for path in KUBERNETES.rglob("*.yaml") if path not in KUSTOMIZATIONS)


@functools.cache
def all_documents() -> list[dict[str, Any]]:
    """Parsed once: the tests below only read them (the one that edits takes a deep copy)."""
    return [document for path in manifest_files() for document in load_yaml_documents(path)]


def one(kind: str) -> dict[str, Any]:
    found = [document for document in all_documents() if document["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def pod_templates() -> list[dict[str, Any]]:
    return [one("Deployment")["spec"]["template"], one("Job")["spec"]["template"]]


def containers() -> list[dict[str, Any]]:
    return [container for template in pod_templates() for container in template["spec"]["containers"]]


def coach_container() -> dict[str, Any]:
    listed: list[dict[str, Any]] = one("Deployment")["spec"]["template"]["spec"]["containers"]
    (container,) = listed
    return container


def container_port(container: dict[str, Any], port: int | str) -> int:
    """A probe's or Service's port, by number or by the container port's name."""
    if isinstance(port, int):
        assert port in {p["containerPort"] for p in container["ports"]}, f"no container port {port}"
        return port
    (named,) = [p for p in container["ports"] if p.get("name") == port]
    return int(named["containerPort"])


def env_value(container: dict[str, Any], name: str) -> str:
    (entry,) = [entry for entry in container["env"] if entry["name"] == name]
    return str(entry["value"])


def kustomization(path: Path) -> dict[str, Any]:
    (document,) = load_yaml_documents(path)
    return document


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", manifest_files(), ids=lambda path: str(path.relative_to(KUBERNETES)))
def test_manifest_validates_against_the_kubernetes_schema(path: Path, version: str) -> None:
    documents = load_yaml_documents(path)
    assert documents
    for document in documents:
        kubernetes_validate.validate(document, version, strict=True)


def test_strict_validation_rejects_a_misspelt_field() -> None:
    """Proves the check above can fail: ``replica`` for ``replicas`` is silently ignored by a
    lenient schema and by the API server's default field handling."""
    deployment = copy.deepcopy(one("Deployment"))
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_kustomization_applies_every_manifest_but_the_hand_applied_ones() -> None:
    listed = {KUBERNETES / name for name in kustomization(KUBERNETES / "kustomization.yaml")["resources"]}
    assert listed == set(manifest_files()) - NOT_IN_MAIN_KUSTOMIZATION
    assert SECRET_EXAMPLE not in listed, "placeholder credentials must never be applied by default"
    migrate = kustomization(KUBERNETES / "migrate" / "kustomization.yaml")
    assert {KUBERNETES / "migrate" / name for name in migrate["resources"]} == {
        KUBERNETES / "migrate" / "job.yaml"
    }


def test_migration_job_runs_the_same_image_as_the_deployment() -> None:
    main = kustomization(KUBERNETES / "kustomization.yaml")
    migrate = kustomization(KUBERNETES / "migrate" / "kustomization.yaml")
    assert main["images"] == migrate["images"]
    job_container = one("Job")["spec"]["template"]["spec"]["containers"][0]
    assert job_container["image"] == coach_container()["image"]
    assert job_container["args"] == ["db", "upgrade"]
    assert one("Job")["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_two_replicas_whose_selector_matches_their_pods() -> None:
    deployment = one("Deployment")
    assert deployment["spec"]["replicas"] == 2
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert coach_container()["args"] == ["serve"]


def test_disruption_budget_covers_the_deployments_pods() -> None:
    budget, deployment = one("PodDisruptionBudget"), one("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["minAvailable"] == 1 < deployment["spec"]["replicas"]


def test_service_routes_to_the_coach_port() -> None:
    service = one("Service")
    labels = one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    assert container_port(coach_container(), port["targetPort"]) == int(
        env_value(coach_container(), "COACH_PORT")
    )


def test_probes_ask_healthz_on_the_port_the_coach_listens_on() -> None:
    container = coach_container()
    listening = int(env_value(container, "COACH_PORT"))
    assert env_value(container, "COACH_HOST") == "0.0.0.0", "probes come from the kubelet, not loopback"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        action = container[probe]["httpGet"]
        assert action["path"] == "/healthz", probe
        assert container_port(container, action["port"]) == listening, probe


def test_metrics_are_scraped_from_the_coach_port() -> None:
    template = one("Deployment")["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert int(annotations["prometheus.io/port"]) == int(env_value(coach_container(), "COACH_PORT"))


def test_pods_run_as_the_images_non_root_user() -> None:
    image_user = parse(DOCKERFILE).final.last("USER")
    assert image_user is not None
    uid = int(image_user.value.partition(":")[0])
    for template in pod_templates():
        context = template["spec"]["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] == uid != 0
        assert template["spec"]["automountServiceAccountToken"] is False
    for container in containers():
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]


def test_read_only_root_keeps_the_paths_the_coach_writes_writable() -> None:
    """matplotlib, tempfile and the Discord command-sync state write under /tmp and the
    home directory; with a read-only root those must be volumes."""
    home = next(
        word
        for instruction in parse(DOCKERFILE).final.all("RUN")
        for previous, word in zip(instruction.value.split(), instruction.value.split()[1:], strict=False)
        if previous == "--home-dir"
    )
    for container in containers():
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        mounted = {mount["mountPath"] for mount in container["volumeMounts"]}
        assert {"/tmp", home} <= mounted


def test_every_container_has_resource_requests_and_a_memory_limit() -> None:
    for container in containers():
        assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
        assert "memory" in container["resources"]["limits"]


def test_environment_names_are_real_settings() -> None:
    settings = setting_names()
    for container in containers():
        names = {entry["name"] for entry in container["env"]}
        assert names <= settings, f"{container['name']} sets {names - settings}, which the coach never reads"
        assert "envFrom" not in container, "every variable is named, so this check sees them all"


def test_secret_references_name_keys_of_the_example_secret() -> None:
    (secret,) = load_yaml_documents(SECRET_EXAMPLE)
    for container in containers():
        for entry in container["env"]:
            reference = entry.get("valueFrom", {}).get("secretKeyRef")
            if reference is None:
                continue
            assert reference["name"] == secret["metadata"]["name"]
            assert reference["key"] in secret["stringData"]
            assert reference["key"] == entry["name"]
            # Without the database the coach cannot start; a platform without its key is off.
            assert reference.get("optional", False) is (entry["name"] != "COACH_DATABASE_URL")


def test_example_secret_holds_only_placeholders() -> None:
    (secret,) = load_yaml_documents(SECRET_EXAMPLE)
    for key, value in secret["stringData"].items():
        assert "CHANGE-ME" in value, f"{key} looks like a real value"
    assert urlsplit(secret["stringData"]["COACH_DATABASE_URL"]).scheme == "postgresql+asyncpg"
