"""What stays the same (capability 12): leaders' statements of what AI will not change."""
