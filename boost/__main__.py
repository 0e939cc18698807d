import sys

from boost.cli import main

sys.exit(main())
