"""Users, passwords, roles, sessions and API tokens."""
