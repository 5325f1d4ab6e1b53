"""mlbom's lineage layer: everything from a target to the annotated ``LineageGraph``."""

__version__ = "0.1.0"
