"""talentbot's faces: the Discord bot and the command line. Both are thin over `index`."""
