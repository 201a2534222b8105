"""Command-line tools run on the admin's machine."""
