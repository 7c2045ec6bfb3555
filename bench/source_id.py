"""Print the soc2lint package directory and a digest of its sources and rules, so that figures
taken from an editable install of a changing work tree can be told apart.

Run with the Python that has soc2lint installed: `python bench/source_id.py`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def source_id() -> str:
    import soc2lint
    from soc2lint.language.load import builtin_rules_dir

    h = hashlib.sha256()
    pkg = Path(soc2lint.__file__).parent
    for base in (pkg, Path(builtin_rules_dir())):
        for p in sorted(q for q in base.rglob("*") if q.suffix in (".py", ".yaml", ".json")):
            h.update(str(p.relative_to(base)).encode() + b"\0" + p.read_bytes())
    return f"{pkg} (sources+rules sha256 {h.hexdigest()[:12]})"


if __name__ == "__main__":
    print(source_id())
