"""The what's-working log (capability 14): wins with evidence from the data.

A win names a metric, a scope and a period; its numbers are computed by the metric service
whenever it is read, never typed in. A win without a metric is allowed and labelled
self-reported.
"""
