"""The reality report: one document model rendered as JSON, HTML and PDF."""
