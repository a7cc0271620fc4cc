"""The transactional outbox: jobs written with the change that causes them, drained by workers."""
