"""Suppliers' shipping rules and the shipping fee of a parcel."""
