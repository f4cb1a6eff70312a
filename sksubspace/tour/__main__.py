"""``python -m sksubspace.tour``: run the quick tour (see ``--help``)."""

import sys

from sksubspace.tour import main

if __name__ == "__main__":
    sys.exit(main())
