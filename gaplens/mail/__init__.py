"""Survey invitations by email (the organisation's SMTP server) or Slack direct message, on a
schedule: the invitation at open, reminders only to unused invitations, a closing reminder.

What is stored (docs/mail.md): who was invited and when (a day), and which addresses failed;
never who answered, and nothing joinable to a response. Reminders ask only "was this
invitation used", through the server's key (gaplens.spent), and leave no per-person trace.
"""
