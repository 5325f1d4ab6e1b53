"""Verification of declared lineage against cheap metadata (issue 17)."""
