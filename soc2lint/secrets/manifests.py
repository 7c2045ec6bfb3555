"""Lines of Kubernetes manifests that the file scan for secrets (SEC001) leaves to others.

- Encrypted secrets are not secrets: a `SealedSecret` (its `encryptedData` is ciphertext only
  the cluster's controller can open), an `ExternalSecret`/`SecretStore` (references to a
  store), a SOPS-encrypted document (`sops:` metadata) and any `ENC[...]` value.
- A plain `Secret`'s `data`/`stringData` values are KUB006's findings: one finding per value,
  not one per rule family.

Read from the text, document by document, without building YAML trees: the file scan reads
every file and must stay cheap.
"""

from __future__ import annotations

import re

_DOC = re.compile(r"(?m)^---[ \t]*(?:#.*)?$")
_TOP = re.compile(r"(?m)^([A-Za-z_][\w.-]*)[ \t]*:")
_KIND = re.compile(r"(?m)^kind:[ \t]*['\"]?([A-Za-z]+)")
_ENCRYPTED_KINDS = frozenset(
    {"SealedSecret", "ExternalSecret", "SecretStore", "ClusterSecretStore", "ClusterExternalSecret"}
)
_SOPS_VALUE = "ENC[AES256_GCM,"


def left_to_others(text: str, path: str) -> set[int]:
    """1-based numbers of the lines SEC001 does not report in a YAML file."""
    if not path.endswith((".yaml", ".yml")) or "kind:" not in text and _SOPS_VALUE not in text:
        return set()
    out: set[int] = set()
    offset = 0  # characters before the document
    for doc in _DOC.split(text):
        first = text.count("\n", 0, offset) + 1
        lines = doc.count("\n") + 1
        keys = list(_TOP.finditer(doc))
        names = {m.group(1) for m in keys}
        # a Kubernetes object has both (KUB006 reads only those)
        kind = _KIND.search(doc) if "apiVersion" in names else None
        if (kind and kind.group(1) in _ENCRYPTED_KINDS) or "sops" in names:
            out.update(range(first, first + lines))
        elif kind and kind.group(1) == "Secret":
            for i, m in enumerate(keys):
                if m.group(1) in ("data", "stringData"):
                    end = keys[i + 1].start() if i + 1 < len(keys) else len(doc)
                    start_line = first + doc.count("\n", 0, m.start())
                    end_line = first + doc.count("\n", 0, end)
                    out.update(range(start_line, end_line + 1))
        if _SOPS_VALUE in doc:
            for n, line in enumerate(doc.split("\n")):
                if _SOPS_VALUE in line:
                    out.add(first + n)
        offset += len(doc) + _separator_length(text, offset + len(doc))
    return out


def _separator_length(text: str, at: int) -> int:
    m = _DOC.match(text, at)
    return m.end() - at if m else 0
