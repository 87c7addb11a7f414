"""The one exception type for mistakes a user can fix.

Library functions raise :class:`UserError` for bad input (a missing folder, a config that does
not fit the dataset, ...). The CLIs print its message without a traceback and exit with its code.
Anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A problem with the user's input, explained in ``message``; ``exit_code`` for the CLI."""

    def __init__(self, message: str, *, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
