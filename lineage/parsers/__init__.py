"""Parsers: bytes or text in, typed results out. No network, no file system."""
