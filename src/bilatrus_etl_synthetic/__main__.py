"""`python -m bilatrus_etl_synthetic DEST [--scale ...]`: write a synthetic mirror folder (see `mirror.main`)."""

import sys

from bilatrus_etl_synthetic.mirror import main

sys.exit(main())
