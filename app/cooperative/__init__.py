"""Suppliers: farmers' cooperatives, enterprises and family farms of poverty-lifted counties."""
