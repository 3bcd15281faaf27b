"""Large packages imported on threads of one process: one at a time.

A run imports some packages on a thread while other threads work: Great Expectations in the background
(`quality.context.prewarm`), pandas and the matcher when the ROR step starts (`institutions.build`), pyplot for the
report (`report.warm_up`). Two threads importing overlapping package trees at once can hand a third one a module
that is not initialised yet ("partially initialized module 'sqlalchemy.orm.exc' has no attribute
'UnmappedClassError'", in the ROR step while GX was being imported). Under `LARGE_IMPORTS` they import one after
another; a thread that imports only what is already imported does not need it. SQLAlchemy's ORM, which Dagster's
storage reaches into on any step's thread, is imported before GX's background import starts (`prewarm`).
"""

from __future__ import annotations

import threading

LARGE_IMPORTS = threading.RLock()
