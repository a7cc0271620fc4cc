"""The embedded backend: the search index in the application's own database."""
