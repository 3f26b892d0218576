"""The one error type the domain raises; the CLI turns it into a line on stderr."""


class RapportError(Exception):
    """A failure the user can understand; `exit_code` 1 means the run failed."""

    exit_code = 1


class BadInput(RapportError):
    """The user asked for something that cannot be done as asked: exit 2, nothing written."""

    exit_code = 2


class UnknownClient(BadInput):
    """No client matches the name; `log` may offer to create one."""


class NoJournal(BadInput):
    """The journal file does not exist yet; reading it would only create an empty one."""


class ReaderGone(RapportError):
    """The program reading stdout stopped early (`rapport export | head`): as for any Unix
    tool, nothing to report; exit 1 tells a script with pipefail that the output was cut."""


class Interrupted(RapportError):
    """Ctrl-C: the shell's convention is exit status 130."""

    exit_code = 130
