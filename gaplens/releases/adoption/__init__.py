"""The adoption funnel on releases: classes of licensed persons per month end."""
