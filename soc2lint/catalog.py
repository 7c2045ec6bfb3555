"""The SOC 2 Trust Services Criteria catalog that rules cite (soc2lint/controls/soc2.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CATALOG_FILE = Path(__file__).parent / "controls" / "soc2.yaml"


@dataclass(frozen=True)
class Criterion:
    id: str
    category: str
    title: str
    text: str


@dataclass(frozen=True)
class Alias:
    """A control id people use that does not exist, and the criteria they mean."""

    id: str
    see: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Catalog:
    version: str
    categories: dict[str, str]
    criteria: dict[str, Criterion]
    aliases: dict[str, Alias]

    def sort_key(self, control_id: str) -> int:
        """Catalog order (CC1.1 < CC1.2 < ... < CC9.2 < A1.1 ...), unknown ids last."""
        order = list(self.criteria)
        return order.index(control_id) if control_id in self.criteria else len(order)


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    data = yaml.load(
        CATALOG_FILE.read_text(encoding="utf-8"),
        Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
    )
    criteria = {
        c["id"]: Criterion(c["id"], c["category"], c["title"], c["text"]) for c in data["criteria"]
    }
    aliases = {a["id"]: Alias(a["id"], tuple(a["see"]), a["note"]) for a in data.get("aliases", ())}
    categories = {c["id"]: c["title"] for c in data["categories"]}
    return Catalog(str(data["version"]), categories, criteria, aliases)
