"""Framework-free adapters for third-party channels (Slack) that feed anonymous feedback in."""
