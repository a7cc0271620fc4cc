"""Procurement for organisations: bulk orders uploaded as lists, checked row by row, submitted
by a buyer and placed as an order when another member approves them."""
