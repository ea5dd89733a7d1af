"""The command line: the Typer app, the command bodies and rendering — the only code that prints or exits."""
