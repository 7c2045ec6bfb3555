"""A reproducible audit sample: attribute sampling sizes, and selection by a keyed hash.

Size (zero expected deviations): the smallest n for which drawing n items from a population of
N with D = ceil(tolerable rate x N) deviations finds none with probability at most
1 - confidence (hypergeometric); for large populations this tends to the binomial
n = ceil(ln(1 - confidence) / ln(1 - tolerable rate)): 29 at 95 % / 10 %, 59 at 95 % / 5 %.

Selection: key = sha256("<seed>:<change_id>") in hex; the sample is the first n rows in
ascending key order, which anyone can re-derive with `sha256sum`. No random generator, so no
dependence on a language's random module staying stable across versions.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

# reliance on the control -> (confidence, tolerable deviation rate)
RELIANCE = {"low": (0.90, 0.10), "moderate": (0.95, 0.10), "high": (0.95, 0.05)}


def sample_size(population: int, confidence: float = 0.95, tolerable: float = 0.10) -> int:
    """Attribute-sampling size for zero expected deviations (hypergeometric; whole population
    when it is that small)."""
    if population <= 0:
        return 0
    deviations = max(1, math.ceil(tolerable * population))
    miss = 1.0  # P(no deviation in the first n draws)
    for n in range(1, population + 1):
        miss *= (population - deviations - (n - 1)) / (population - (n - 1))
        if miss <= 1 - confidence:
            return n
    return population


def large_population_size(confidence: float = 0.95, tolerable: float = 0.10) -> int:
    return math.ceil(math.log(1 - confidence) / math.log(1 - tolerable))


def sample_key(seed: str, change_id: str) -> str:
    return hashlib.sha256(f"{seed}:{change_id}".encode()).hexdigest()


def select(change_ids: Iterable[str], seed: str, size: int) -> list[tuple[str, str]]:
    """(change_id, key) of the sample, in key order."""
    keyed = sorted((sample_key(seed, cid), cid) for cid in change_ids)
    return [(cid, key) for key, cid in keyed[:size]]
