"""Reflection loops (capability 11): short prompted reflections after a training or a first
use of an AI tool, again a day and a week later; participation, themes and later usage."""
