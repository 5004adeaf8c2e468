"""Graphs among firms: pools, peers, contracts."""
