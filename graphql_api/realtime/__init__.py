"""Live subscriptions: the booking discussion, staff boards and a fieldworker's jobs."""
