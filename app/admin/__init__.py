"""Administration: users and their roles, and the outgoing mail outbox."""
