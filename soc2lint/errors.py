"""One exception base and the exit-code table."""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class Soc2lintError(Exception):
    """A user-facing error: one line, naming the file (and line) at fault. Exit code 2."""

    exit_code = EXIT_USAGE


class RuleError(Soc2lintError):
    """A rule file that cannot be loaded."""


class ConfigError(Soc2lintError):
    """A configuration file that cannot be used."""
