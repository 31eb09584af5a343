"""`python -m marketbridge.cli`: the same as the `marketbridge` command."""

from marketbridge.cli.main import main

main()
