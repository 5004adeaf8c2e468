"""`python -m abm` runs the same command line as the `abm` script."""

import sys

from abm.cli import main

sys.exit(main())
