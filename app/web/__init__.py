"""The HTTP toolkit shared by every domain's routes; it knows no domain."""
