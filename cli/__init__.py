"""The `worldmind` command line: typer commands that render what the library computes."""
