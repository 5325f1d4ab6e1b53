"""mlbom's BOM layer: writing and reading bills of materials, and the CLI."""
