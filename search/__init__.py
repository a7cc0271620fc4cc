"""The product search library; it never imports `app`."""
