"""Measures read off model state: security, concentration, bifurcation. Never mutate."""
