"""Stock: atomic reservation at order placement, release on cancellation or expiry."""
