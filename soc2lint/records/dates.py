"""Time for the record rules: the "as of" day, the audit period and calendar quarters.

Every rule takes `as_of` (YYYY-MM-DD; empty: today, UTC) and `audit_period`
(`YYYY-MM-DD..YYYY-MM-DD`, the syntax of `soc2lint report --period`; empty: the 365 days up to
`as_of`), so that a scan is reproducible and tests are deterministic.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# 2026-03-01T10:00:00Z, with seconds optional, an offset or Z; a space instead of the T
_MOMENT = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$"
)


class Quarter(NamedTuple):
    year: int
    number: int

    @property
    def name(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        """The quarter's last day."""
        return self.next().start - dt.timedelta(days=1)

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )


def quarter_of(day: dt.date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def parse_quarter(text: str) -> Quarter | None:
    """`2026Q3`, `2026-Q3` (case-insensitive), else None."""
    m = _QUARTER.match(text.strip().upper())
    return Quarter(int(m.group(1)), int(m.group(2))) if m else None


def parse_day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if _DAY.match(text) else None
    except ValueError:
        return None


def parse_moment(value: Any) -> dt.datetime | None:
    """An RFC 3339 time or a date (midnight UTC), as an aware datetime; None when it is not one.
    A time without an offset is UTC."""
    if not isinstance(value, str):
        return None
    m = _MOMENT.match(value.strip())
    if not m:
        return None
    day = parse_day(m.group(1))
    if day is None:
        return None
    if m.group(2) is None:
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    try:
        moment = dt.datetime(
            day.year, day.month, day.day, int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)
        )
    except ValueError:
        return None
    zone = m.group(5)
    if zone in (None, "Z"):
        return moment.replace(tzinfo=dt.timezone.utc)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=dt.timezone(sign * offset))


def is_moment(value: Any) -> bool:
    return parse_moment(value) is not None


class Window(NamedTuple):
    """The audit period (first and last day) and the day the rules judge as of."""

    first: dt.date
    last: dt.date
    as_of: dt.date

    def quarters(self) -> list[Quarter]:
        """The quarters the period touches, oldest first."""
        out = []
        q = quarter_of(self.first)
        while q.start <= self.last:
            out.append(q)
            q = q.next()
        return out


def window(params: Mapping[str, Any], today: dt.date | None = None) -> Window:
    """The rules' period from their `as_of` and `audit_period` parameters (invalid values were
    refused by the parameters' schemas; an unreadable one falls back to the default)."""
    as_of = (
        parse_day(str(params.get("as_of") or ""))
        or today
        or dt.datetime.now(dt.timezone.utc).date()
    )
    text = str(params.get("audit_period") or "")
    first_text, _, last_text = text.partition("..")
    first, last = parse_day(first_text), parse_day(last_text)
    if first is None or last is None or last < first:
        return Window(as_of - dt.timedelta(days=364), as_of, as_of)
    return Window(first, min(last, as_of), as_of)


def moment_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
