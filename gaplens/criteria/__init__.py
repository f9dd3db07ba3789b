"""Success criteria (capability 13): defined before a rollout phase, judged from the data.

A criterion names a metric from the registry, a scope, a baseline computed at definition time,
a target, a measurement method and a review date. Its status is never stored: it is computed
from the data each time it is read (rules.py). Edits after the phase has started need a reason
and leave a visible revision.
"""
