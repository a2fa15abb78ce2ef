"""`python -m drugloop.cli` runs the console script."""

from drugloop.cli.main import main

main()
