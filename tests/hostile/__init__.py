"""Hostile input through the CLI (issue 22): refused in one line with exit 2, the database untouched."""
