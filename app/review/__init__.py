"""Buyers' reviews of delivered order lines, suppliers' replies, operators' hiding."""
