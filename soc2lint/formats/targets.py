"""Rule targets by name (`target: kubernetes`): a live view of the format registry's targets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from soc2lint.formats.registry import Target, targets

__all__ = ["TARGETS", "Target"]


class _Targets(Mapping[str, Target]):
    def __getitem__(self, name: str) -> Target:
        return targets()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(targets())

    def __len__(self) -> int:
        return len(targets())


TARGETS: Mapping[str, Target] = _Targets()
