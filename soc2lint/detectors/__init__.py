"""Named detectors: the few checks that the declarative language cannot express.

A rule invokes one with `detector: NAME` and `with: {...}`; the rule file still owns id,
controls, severity, message and docs. The registry is a literal dict of import paths so that a
detector's module (and its dependencies) load only when a rule that uses it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from soc2lint.model import Document, Hit


@dataclass(frozen=True)
class DetectorSpec:
    module: str | None  # None: produced by the engine itself, not run per document
    function: str
    fields: tuple[str, ...]  # extra message placeholders the detector fills
    description: str
    warm: str | None = None  # a function preparing its state once, before workers are forked
    # a join over the whole scan: the per-document function yields hits carrying `fact`s, and
    # this function of the module decides, from every fact of the scan, which become findings
    # (see scan/joins.py)
    join: str | None = None


DETECTORS: dict[str, DetectorSpec] = {
    "parse-error": DetectorSpec(None, "", ("detail",), "A file a rule needed could not be parsed."),
    "excessive-yaml-aliases": DetectorSpec(
        None, "", ("detail",), "A YAML document whose aliases expand beyond any real configuration."
    ),
    "secrets-history": DetectorSpec(
        None,
        "",
        ("secret_type", "preview", "commit", "author", "date", "occurrences"),
        "Secrets in any commit of the git history that are no longer in the tree.",
    ),
    "scan-incomplete": DetectorSpec(
        None, "", ("detail",), "Part of the scan (the git history) could not be read."
    ),
    "unrecognised-evidence": DetectorSpec(
        None,
        "",
        ("detail",),
        "A file under the evidence directory that is no GitHub payload soc2lint knows.",
    ),
    "suppression-without-reason": DetectorSpec(
        None, "", ("detail",), "An inline `soc2lint: ignore[...]` comment that gives no reason."
    ),
    "literal-secret": DetectorSpec(
        "soc2lint.detectors.secrets",
        "detect",
        ("secret_type", "preview", "key"),
        "Literal credentials in workflow env/with/secrets values (detect-secrets plugins).",
        warm="prepare",
    ),
    "secret-in-file": DetectorSpec(
        "soc2lint.detectors.secrets",
        "detect_file",
        ("secret_type", "preview"),
        "Credentials in any file of the tree (detect-secrets plugins and filters).",
        warm="prepare",
    ),
    "sensitive-file": DetectorSpec(
        "soc2lint.detectors.secrets",
        "detect_sensitive",
        ("what",),
        "Files that hold credentials by nature: .env, private keys, .npmrc/.pypirc with tokens, "
        "kubeconfigs with credentials, Terraform state.",
    ),
    "change-management": DetectorSpec(
        "soc2lint.detectors.change_management",
        "detect",
        ("pr", "url", "subject", "detail"),
        "The change-management decisions (CM rules) over merged pull requests and the "
        "collection's activity, rule suites and manifest.",
    ),
    "direct-pushes": DetectorSpec(
        "soc2lint.detectors.direct_pushes",
        "detect",
        ("commit", "sha", "author", "date", "subject", "branch", "detail"),
        "Commits on a production branch that no merged pull request accounts for (CM001).",
    ),
    "expression-injection": DetectorSpec(
        "soc2lint.detectors.injection",
        "detect",
        ("expression", "context"),
        "Attacker-controllable `${{ }}` expressions expanded into shell scripts.",
    ),
    "local-call-injection": DetectorSpec(
        "soc2lint.detectors.local_calls",
        "detect",
        ("expression", "context", "input", "callee", "sink"),
        "Attacker-controllable `with:` values that a local composite action or reusable workflow "
        "expands into a script as `${{ inputs.* }}`.",
    ),
    "unused-write-permissions": DetectorSpec(
        "soc2lint.detectors.permissions",
        "detect",
        ("scope", "granted"),
        "Write scopes of `permissions:` that no step of the jobs they apply to can use.",
    ),
    "codeowners-coverage": DetectorSpec(
        "soc2lint.detectors.codeowners",
        "detect",
        ("protected", "detail"),
        "CODEOWNERS entries leaving paths that change access and delivery without an owner.",
    ),
    "disruption-coverage": DetectorSpec(
        "soc2lint.detectors.k8s_joins",
        "disruption_facts",
        ("detail",),
        "Deployments and StatefulSets with one replica and no autoscaler, or several replicas and "
        "no PodDisruptionBudget selecting their pods in the scan (join).",
        join="disruption_join",
    ),
    "network-policy-coverage": DetectorSpec(
        "soc2lint.detectors.k8s_joins",
        "network_facts",
        ("namespace", "detail"),
        "Namespaces holding workloads in the scan and no NetworkPolicy (join).",
        join="network_join",
    ),
    "cluster-admin-workloads": DetectorSpec(
        "soc2lint.detectors.k8s_joins",
        "admin_account_facts",
        ("account", "binding"),
        "Workloads running as a ServiceAccount that a binding in the scan gives cluster-admin "
        "(join).",
        join="admin_account_join",
    ),
    "mutable-images": DetectorSpec(
        "soc2lint.detectors.k8s_joins",
        "image_facts",
        (),
        "Container images without a fixed tag or digest that no Skaffold config of the scan "
        "builds (join).",
        join="image_join",
    ),
    "policy-engine-presence": DetectorSpec(
        "soc2lint.detectors.k8s_joins",
        "policy_engine_facts",
        ("detail",),
        "Workloads in a scan holding no admission policy: Kyverno, Gatekeeper, Kubewarden, "
        "jsPolicy or ValidatingAdmissionPolicy (join).",
        join="policy_engine_join",
    ),
    "iam-full-admin": DetectorSpec(
        "soc2lint.detectors.terraform_iam",
        "full_admin",
        ("statement", "where"),
        "Terraform IAM policy statements allowing every action on every resource.",
    ),
    "iam-wildcard-action": DetectorSpec(
        "soc2lint.detectors.terraform_iam",
        "wildcard_action",
        ("statement", "where"),
        "Terraform IAM policy statements allowing `*`, `<service>:*` or `NotAction` on every "
        "resource (full admin excepted).",
    ),
    "iam-trust-too-broad": DetectorSpec(
        "soc2lint.detectors.terraform_iam",
        "trust_too_broad",
        ("statement", "where"),
        "Terraform IAM trust policies letting any principal, or any GitHub repository through "
        "OIDC, assume a role.",
    ),
    "terraform-companion": DetectorSpec(
        "soc2lint.detectors.terraform_joins",
        "companion_facts",
        ("detail",),
        "Terraform resources and the companion resources that must reference them (S3 "
        "versioning, secret rotation, VPC flow logs, EBS default encryption) (join).",
        join="companion_join",
    ),
    "access-review": DetectorSpec(
        "soc2lint.detectors.records",
        "access_reviews",
        ("subject", "detail"),
        "Quarterly access reviews missing, incomplete or unsigned (AR001), and revocations an "
        "export collected after the due date contradicts (AR002).",
    ),
    "incident-record": DetectorSpec(
        "soc2lint.detectors.records",
        "incidents",
        ("subject", "detail"),
        "Incident records incomplete, out of order or verified by their owner (IR001), or "
        "escalated later than the severity's SLA (IR002).",
    ),
    "rollback-drill": DetectorSpec(
        "soc2lint.detectors.records",
        "rollback_drills",
        ("subject", "detail"),
        "No complete rollback drill record within the last quarter (RB002).",
    ),
    "rollback-path": DetectorSpec(
        "soc2lint.detectors.records",
        "rollback_facts",
        ("subject", "detail", "kind"),
        "Deploy jobs in a repository with no rollback path: no rollback or redeploy-a-version "
        "workflow, no GitOps rollback (join).",
        join="rollback_join",
    ),
    "secret-rotation": DetectorSpec(
        "soc2lint.detectors.records",
        "secret_rotation",
        ("fingerprint", "secret_type", "detail"),
        "Secrets in the baseline without a `rotated_on` record, or rotated longer ago than the "
        "rotation policy.",
    ),
}

# (document, parameters, context with the scan root) -> hits
DetectFn = Callable[[Document, Mapping[str, Any], Any], Iterator[Hit]]


def warm(name: str) -> None:
    """Prepare a detector's expensive state in this process (inherited by forked workers)."""
    spec = DETECTORS[name]
    if spec.module is not None and spec.warm is not None:
        getattr(importlib.import_module(spec.module), spec.warm)()


class Verdict(NamedTuple):
    """A join's answer: the facts (by index) that become findings, with their message fields
    (`identity` replaces the finding's identity); `evaluated` False when the scan cannot tell
    (the counterpart may live outside it): no finding, and the rule is reported not evaluated."""

    hits: list[tuple[int, dict[str, str]]]
    evaluated: bool = True


# (every fact of the scan for one rule, in path order; the rule's parameters) -> verdict
JoinFn = Callable[[Sequence[Any], Mapping[str, Any]], Verdict]


def load_join(name: str) -> JoinFn:
    spec = DETECTORS[name]
    assert spec.module is not None and spec.join is not None, f"{name} is no join"
    fn: JoinFn = getattr(importlib.import_module(spec.module), spec.join)
    return fn


def load(name: str) -> DetectFn:
    spec = DETECTORS[name]
    assert spec.module is not None, f"{name} is produced by the engine"
    module = importlib.import_module(spec.module)
    fn: DetectFn = getattr(module, spec.function)
    return fn
