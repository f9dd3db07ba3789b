"""The reflections data set's releases: participation, confidence, themes and later usage."""
