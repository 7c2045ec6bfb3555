"""Change-management evidence: every merged change of the audit period, decided rule by rule."""
