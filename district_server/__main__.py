import sys

from district_server.cli import main

sys.exit(main())
