"""The one error type the domain raises; the CLI turns it into a line on stderr."""


class RapportError(Exception):
    """A failure the user can understand; `exit_code` 1 means the run failed."""

    exit_code = 1


class BadInput(RapportError):
    """The user asked for something that cannot be done as asked: exit 2, nothing written."""

    exit_code = 2
