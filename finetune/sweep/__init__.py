"""Sweeps: a base recipe, a search space over its keys, a strategy and an objective (schema.py), run as an Optuna
study whose trials are ordinary training runs in subprocesses (study.py)."""
