"""Organisations that buy (canteens, budget units): members, targets, designated counties."""
