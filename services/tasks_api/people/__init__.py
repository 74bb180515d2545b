"""Leaders (领导) and groups: the leading group, its office and the thematic groups, with members."""
