"""Parsers: one per artifact format, each returning documents whose nodes keep positions."""
