"""Import bookkeeping: which file was imported when, into what, so re-runs are traceable."""
