"""`python -m reportqa` runs the CLI."""

from reportqa.cli import main

main()
