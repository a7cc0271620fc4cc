"""Shopping carts: anonymous (cookie) or a signed-in user's, merged at login."""
