"""The ``thematica`` command: argument parsing and rendering around the service layer."""
