"""Shadow AI (capability 8): unsanctioned tools, what they are used for, and why."""
