"""What goes with the gap here: relative importance of measured factors, as association."""
