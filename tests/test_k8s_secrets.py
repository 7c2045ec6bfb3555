"""Secrets in Kubernetes manifests: encrypted ones (SealedSecret, ExternalSecret, SOPS, ENC[...])
are no findings, and a plain Secret's value is one finding (KUB006), not one per family."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]
CIPHER = "AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq8oH1vVzQoMLtpdb9q4AnDpFp4u6GR7iJbRJwRbq4bG3kq8GZg0e/z1p2X9V3u4W2yEo"
TOKEN = "hM3kPq9vT2xW7zR4nB8cY6fJ1dL5sG0a"


def found(run: Run, root: Path) -> list[tuple[str, str, int]]:
    code, out, err = run(str(root), "--no-history", "--format", "json", "--fail-on", "never")
    assert code == 0, err
    return sorted((f["rule_id"], f["path"], f["line"]) for f in json.loads(out)["findings"])


def test_encrypted_secrets_are_no_findings(run: Run, write: Write, tmp_path: Path) -> None:
    write(
        "k8s/sealed.yaml",
        f"""\
        apiVersion: bitnami.com/v1alpha1
        kind: SealedSecret
        metadata: {{name: db, namespace: shop}}
        spec:
          encryptedData:
            password: {CIPHER}
        """,
    )
    write(
        "k8s/sops.yaml",
        f"""\
        apiVersion: v1
        kind: Secret
        metadata: {{name: api, namespace: shop}}
        stringData:
          api_key: ENC[AES256_GCM,data:{CIPHER[:40]},iv:abc=,tag:def=,type:str]
        sops:
          lastmodified: "2026-01-01T00:00:00Z"
          mac: ENC[AES256_GCM,data:{CIPHER[40:80]},type:str]
        """,
    )
    write(
        "config/values.yaml",
        f"password: ENC[AES256_GCM,data:{CIPHER[:48]},iv:q=,tag:r=,type:str]\n",
    )
    assert [f for f in found(run, tmp_path) if f[0] in ("SEC001", "KUB006")] == []


def test_a_plain_secret_is_one_finding_and_other_documents_are_still_read(
    run: Run, write: Write, tmp_path: Path
) -> None:
    write(
        "k8s/app.yaml",
        f"""\
        apiVersion: v1
        kind: Secret
        metadata: {{name: api, namespace: shop}}
        type: Opaque
        stringData:
          api_key: "{TOKEN}"
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {{name: settings, namespace: shop}}
        data:
          password: "{TOKEN[::-1]}"
        """,
    )
    got = found(run, tmp_path)
    assert ("KUB006", "k8s/app.yaml", 6) in got
    assert ("SEC001", "k8s/app.yaml", 6) not in got  # one finding for the Secret's value
    assert ("SEC001", "k8s/app.yaml", 12) in got  # the ConfigMap's password is still read
