"""Partner matching: exact vertical and organisation assignment, peer clusters, pair scores.

* :mod:`.vertical` — leader → supported schools and organisation → school, exact and explained;
* :mod:`.peers` — peer clusters of schools (built on :mod:`.clusters`, CP-SAT set packing);
* :mod:`.assignment` — the exact lexicographic assignment solver, its references and verifier;
* :mod:`.scoring` — the inputs (schools, organisations, rules, weights) and the pair-score components;
* :mod:`.pairing`, :mod:`.candidates`, :mod:`.geo` — candidate pairs from a spatial index;
* :mod:`.exact` — scores as integers on one decimal grid.

``docs/matching.md`` describes the objective, the rules and every weight.
"""
