"""Speed and scale measurements for the course. Run them all with ``make bench``."""
