"""A business connects its own systems: HTTP tools its agents call during a call, post-call
webhooks, both signed with the business's secret, both sent only where the operator allows."""
