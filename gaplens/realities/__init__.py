"""The three realities side by side: leadership perception, frontline perception, measured."""
