"""The organisation: teams as a tree, people, their role levels and the identities tools use."""
