"""``python -m ocop_stamps_cli``: the same as the ``ocop-stamps`` command."""

import sys

from ocop_stamps_cli.main import main

sys.exit(main())
