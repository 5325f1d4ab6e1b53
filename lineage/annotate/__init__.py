"""Annotators: each fills one kind of fact on the nodes of a LineageGraph."""
