"""The Kubernetes match rules (KUB002-KUB014, KUB018) beyond their examples: the cluster's own
RBAC, encrypted and placeholder secrets, the `production_namespaces` parameter, and the
`{object}` placeholder naming objects. Pinned by (file, line, column, rule id)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from soc2lint.config import Config
from soc2lint.language.load import builtin_rules_dir, load_rules
from soc2lint.language.select import select_rules
from soc2lint.scan.engine import scan

RULES = load_rules([builtin_rules_dir()])


def _scan(
    root: Path, files: dict[str, str], select: str = "KUB", **parameters: Any
) -> list[tuple[str, int, int, str, str]]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    rules = select_rules(RULES, select=[select], parameters=parameters, preview=True)
    result = scan(root, rules, Config(), today=dt.date(2026, 1, 1), jobs=1, history=False)
    return sorted(
        (f.location.path, f.location.start_line, f.location.start_column, f.rule.id, f.message)
        for f in result.findings
        if f.suppression is None
    )


def _where(found: list[tuple[str, int, int, str, str]]) -> list[tuple[str, int, int, str]]:
    return [(p, line, col, rule) for p, line, col, rule, _ in found]


BOOTSTRAP_RBAC = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregate-to-admin
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["get", "list", "impersonate"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:kube-controller-manager
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {kind: User, name: system:kube-controller-manager}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: admins
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {kind: Group, name: system:masters}
  - {kind: Group, name: platform-admins}
"""


def test_bootstrap_rbac_and_system_subjects_are_not_findings(tmp_path: Path) -> None:
    found = _scan(tmp_path, {"k8s/rbac.yaml": BOOTSTRAP_RBAC}, select="KUB00")
    assert _where(found) == [("k8s/rbac.yaml", 28, 25, "KUB002")]
    assert found[0][4] == (
        "ClusterRoleBinding/admins grants cluster-admin to Group 'platform-admins': every action "
        "on every object, secrets and RBAC included"
    )


ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: web
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["get"]
  - apiGroups: [""]
    resources: ["users", "groups"]
    verbs: ["impersonate"]
  - apiGroups: ["apps"]
    resources: ["secrets"]
    verbs: ["get"]
"""


def test_rbac_rules_each_report_their_own_rule_entry(tmp_path: Path) -> None:
    found = _scan(tmp_path, {"k8s/role.yaml": ROLE}, select="KUB00")
    # a wildcard resource reads secrets too (KUB005); `secrets` of the apps group is no Secret
    assert _where(found) == [
        ("k8s/role.yaml", 7, 5, "KUB003"),
        ("k8s/role.yaml", 7, 5, "KUB005"),
        ("k8s/role.yaml", 12, 13, "KUB004"),
    ]
    assert "Role/web/reader grants `impersonate`" in found[2][4]


SECRETS = """\
apiVersion: v1
kind: Secret
metadata:
  name: token
  namespace: ci
type: kubernetes.io/service-account-token
data:
  token: ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNklp
---
apiVersion: v1
kind: Secret
metadata:
  name: tls
  namespace: web
type: kubernetes.io/tls
data:
  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
  tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t
---
apiVersion: v1
kind: Secret
metadata:
  name: placeholders
stringData:
  password: <your-password>
  api-key: changeme
  token: "{{ .Values.token }}"
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: db
spec:
  data:
    - secretKey: password
      remoteRef: {key: prod/db, property: password}
"""


def test_secret_rule_skips_tokens_certificates_placeholders_and_never_quotes_values(
    tmp_path: Path,
) -> None:
    found = _scan(tmp_path, {"k8s/secrets.yaml": SECRETS}, select="KUB006")
    assert _where(found) == [("k8s/secrets.yaml", 18, 3, "KUB006")]
    assert found[0][4].startswith("Secret/web/tls stores `tls.key` in plain text")
    assert "LS0t" not in found[0][4]


def test_sops_encrypted_file_is_not_a_plaintext_secret(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n"
        "  password: ENC[AES256_GCM,data:abc=,iv:x=,tag:y=,type:str]\n"
        "  user: ENC[AES256_GCM,data:def=,iv:x=,tag:y=,type:str]\n"
        "sops:\n  age: []\n  version: 3.9.0\n"
    )
    assert _scan(tmp_path, {"k8s/db.sops.yaml": text}, select="KUB006") == []


ENV = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  namespace: ops
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: backup
              image: registry.example.com/backup:1.2.0
              env:
                - {name: PGPASSWORD, value: "correct-horse-battery"}
                - {name: AWS_SECRET_ACCESS_KEY, value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
                - {name: SECRET_NAME, value: backup-credentials}
                - {name: TOKEN_URL, value: "https://auth.example.com/token"}
                - {name: USE_TOKEN, value: "true"}
                - {name: API_KEY, value: "${API_KEY}"}
                - {name: PASSWORD_LENGTH, value: "32"}
"""


def test_env_credentials_by_name_skip_descriptions_and_references(tmp_path: Path) -> None:
    found = _scan(tmp_path, {"k8s/cron.yaml": ENV}, select="KUB007")
    assert _where(found) == [
        ("k8s/cron.yaml", 16, 56, "KUB007"),
    ]
    # PGPASSWORD is one word: the name pattern wants a separated `password`
    assert "AWS_SECRET_ACCESS_KEY" in found[0][4] and "wJalr" not in found[0][4]


WORKLOADS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod-eu
spec:
  template:
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
          ports: [{containerPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: staging
spec:
  template:
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
          ports: [{containerPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tools
spec:
  template:
    spec:
      containers:
        - name: tools
          image: registry.example.com/tools:1.0.0
"""


def test_production_namespaces_limit_the_availability_rules(tmp_path: Path) -> None:
    everywhere = _scan(tmp_path, {"k8s/apps.yaml": WORKLOADS}, select="KUB013")
    # `tools` declares no port: nothing routes traffic to it, so only its livenessProbe is asked
    assert [line for _, line, *_ in everywhere] == [10, 10, 23, 23, 35]
    assert everywhere[0][4].startswith("Container 'web' of Deployment/prod-eu/web has no")
    assert everywhere[4][4].startswith("Container 'tools' of Deployment/tools has no livenessProbe")
    only_prod = _scan(
        tmp_path, {"k8s/apps.yaml": WORKLOADS}, select="KUB01", production_namespaces=["prod-*"]
    )
    # an object without a namespace is in none of the listed ones
    assert {(line, rule) for _, line, _, rule, _ in only_prod} == {(10, "KUB013"), (10, "KUB014")}
    assert {line for _, line, _, rule, _ in only_prod} == {10}


def test_pod_spec_rules_ignore_other_kinds_with_a_spec(tmp_path: Path) -> None:
    text = """\
apiVersion: example.com/v1
kind: Agent
metadata:
  name: agent
spec:
  hostNetwork: true
  containers:
    - name: agent
      image: agent
      securityContext: {allowPrivilegeEscalation: true}
"""
    assert _scan(tmp_path, {"k8s/agent.yaml": text}) == []


def test_ingress_tls_terminated_by_an_annotated_router(tmp_path: Path) -> None:
    text = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    traefik.ingress.kubernetes.io/router.tls: "true"
spec:
  rules: [{host: web.example.com}]
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: legacy
spec:
  tls: []
  rules: [{host: legacy.example.com}]
"""
    found = _scan(tmp_path, {"k8s/ingress.yaml": text}, select="KUB018")
    assert _where(found) == [("k8s/ingress.yaml", 13, 9, "KUB018")]


def test_all_caps_names_are_placeholders_a_script_replaces(tmp_path: Path) -> None:
    text = ENV.replace("correct-horse-battery", "PGPASSWORD_VAL").replace(
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_SECRET_VAL"
    )
    assert _scan(tmp_path, {"k8s/cron.yaml": text}, select="KUB007") == []
