"""The one error type of the admin-side tools: a message the user sees as one line, and an exit code."""

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class InstallError(Exception):
    """An error the user must see as one line; `code` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_ERROR, retry: bool = False):
        super().__init__(" ".join(str(message).split()))
        self.code = code
        self.retry = retry  # may go away by itself (server starting, models not listed yet): --wait retries

