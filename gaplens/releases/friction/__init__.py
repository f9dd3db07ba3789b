"""The friction log on releases: classes of entries over whole ISO weeks."""
