"""Item pages: browsing and the item page (browse.py); the proposer's and the staff's
pages (proposer.py, review.py)."""
