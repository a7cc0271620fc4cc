"""HTML routes of the organisation domain: the portal (portal.py) and the operator's
review queue (review.py), with the wording of field problems they share (wording.py)."""
