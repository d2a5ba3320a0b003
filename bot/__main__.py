"""`python -m bot`: run the Discord bot."""

import sys

from bot.cli import main

sys.exit(main(["serve", *sys.argv[1:]]))
