"""Pure algorithms (matching, scheduling, impact, networks). Never imports Django."""
