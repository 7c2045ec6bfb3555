"""A scan: discovery, the per-file and assembled passes, suppressions and exceptions."""
