"""AI-tool usage: Copilot and Microsoft 365 Copilot exports, per person per day."""
