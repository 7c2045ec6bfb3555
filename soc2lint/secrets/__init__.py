"""Secrets: detect-secrets' plugins over lines of the working tree, staged changes and history."""
