"""Test helpers of the organisation domain (budget units buying for their canteens)."""
