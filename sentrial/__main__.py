"""``python -m sentrial ...`` runs the command line."""

import sys

from sentrial._cli import main

if __name__ == "__main__":
    sys.exit(main())
