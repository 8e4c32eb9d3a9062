"""Live subscriptions: the booking discussion, staff boards, a fieldworker's jobs and the inbox."""
