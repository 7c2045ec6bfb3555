"""Rule files: loading and validation, selection, the matcher and routes."""
