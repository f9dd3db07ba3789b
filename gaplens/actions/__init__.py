"""The action plan: next steps adopted from a report (or added by staff), each with an owner,
a due date and a status whose history is kept (docs/actions.md)."""
