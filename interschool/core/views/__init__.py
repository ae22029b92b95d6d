"""Pages of the core app."""
