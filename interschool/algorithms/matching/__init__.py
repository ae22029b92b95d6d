"""Partner matching: exact vertical and organisation assignment, peer clusters, pair scores."""
