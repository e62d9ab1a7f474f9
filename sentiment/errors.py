"""The errors a user can cause and fix (bad data, a bad model folder, a failed download or upload); each command's
`main` reports them in one sentence, and any other exception is a bug that keeps its traceback."""


def reason(e: BaseException) -> str:
    """The first line of an exception's message, for one-sentence errors."""
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


class UserError(Exception):
    """Something the user can put right; the message says what and how, without naming command-line flags."""


class DataError(UserError, ValueError):
    """A dataset or vectors file is missing, unreadable or not laid out as expected."""


class DownloadError(DataError):
    """A canonical data file could not be downloaded."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"Could not download {url} ({reason}); download it yourself and pass its path.")
        self.url, self.reason = url, reason


class ReviewError(UserError, ValueError):
    """A review with nothing to score (empty, or only markup), or a request for tokens the review does not have."""


class ModelLoadError(UserError):
    """A model could not be found, downloaded or read."""


class UploadError(UserError):
    """A model folder could not be uploaded to the Hugging Face Hub."""


class SettingsError(UserError, ValueError):
    """Settings that cannot work together or with this machine (no CUDA device, a checkpoint of another shape)."""
