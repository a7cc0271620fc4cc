"""HTML routes of the supplier portal's catalog: products, their SKUs and their photos."""
