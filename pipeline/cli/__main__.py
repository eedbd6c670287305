"""`python -m pipeline.cli`: the same as `wire`."""

from pipeline.cli import main

main()
