"""Work items: issues (Jira) and tickets (Zendesk, ServiceNow), the workflow data metrics read."""
