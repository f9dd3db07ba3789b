"""Spent single-use links: one keyed tag per used invitation, and nothing else.

Using an invitation never changes the invitation's row. The transaction that stores the
answers inserts `HMAC-SHA256(server key, "<kind>:" + token_hash)` into `spent_link`, whose
primary key makes the link single-use. Without the key (which is not in the database) a tag
cannot be matched to an invitation, so a copy of the database file, its write-ahead log and
the logs cannot pair whoever was invited with what was answered; with the key, the server
recomputes the tags of the invitations it asks about (reminders, participation counts).
"""
