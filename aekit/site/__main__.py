import sys

from aekit.site.build import main

sys.exit(main())
