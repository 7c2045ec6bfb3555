"""soc2lint: find where a repository fails SOC 2 controls, before the auditor does."""

__version__ = "0.1.0"
