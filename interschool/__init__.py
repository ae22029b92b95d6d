"""Interschool: software for inter-school collaboration networks."""

__version__ = "0.1.0"
