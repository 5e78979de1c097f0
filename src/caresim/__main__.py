"""Allow ``python -m caresim``."""

from caresim.cli import main

raise SystemExit(main())
