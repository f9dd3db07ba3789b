"""Anonymous feedback (capability 5): web form and Slack, and the digest that travels upward."""
