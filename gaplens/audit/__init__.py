"""Who viewed or exported what: an append-only log of staff actions, never of respondents."""
