"""``python -m thematica`` runs the command line."""

from thematica.cli.main import main

main()
