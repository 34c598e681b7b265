"""One exception hierarchy for every failure a user can act on.

Each error carries a one-line message, a hint, and the exit code the CLI uses; interfaces
render them as one clear line instead of a traceback.
"""

from __future__ import annotations


class OS1Error(Exception):
    """An expected failure: something the user (or their admin) can fix."""

    exit_code = 1
    code = "error"
    default_hint = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint


class ConfigError(OS1Error):
    exit_code = 3
    code = "bad_config"
    default_hint = "Check `os1 config` and the OS1_* environment variables."


class ModelError(OS1Error):
    """The model could not produce a reply."""

    exit_code = 4
    code = "model_error"


class ModelNotFound(ModelError):
    code = "model_not_found"
    default_hint = "Run `os1 models` to see what is available, then `os1 config set model ...`."


class ModelUnreachable(ModelError):
    code = "model_unreachable"
    default_hint = "Is the model server running? Check `os1 config get openai_base_url`."


class ModelTimeout(ModelError):
    code = "model_timeout"
    default_hint = "The server was too slow; raise `timeout` with `os1 config set timeout 120`."


class ModelStreamError(ModelError):
    code = "model_stream_broken"
    default_hint = "The model server sent a reply OS1 could not read; try again or check its logs."


class DownloadError(ModelError):
    """A model download failed; what arrived stays in a .part file to resume from."""

    code = "download_failed"
    default_hint = "Run the same `os1 models pull` again: it resumes where it stopped."


class ChecksumMismatch(DownloadError):
    code = "checksum_mismatch"
    default_hint = "The file arrived damaged or changed on the hub; nothing was installed."


class EmptyMessage(OS1Error):
    exit_code = 2
    code = "empty_message"
    default_hint = "Type something to say."


class InputTooLong(OS1Error):
    exit_code = 6
    code = "input_too_long"
    default_hint = "Shorten the message or split it; it was saved, nothing is lost."


class StorageError(OS1Error):
    exit_code = 5
    code = "storage_error"
    default_hint = "Check that the OS1 home folder is writable (`os1 config path`)."


class StorageFull(StorageError):
    code = "disk_full"
    default_hint = "Free some disk space, or move OS1's data with --home / OS1_HOME."


class NotFound(OS1Error):
    exit_code = 7
    code = "not_found"


def exit_code_for(code: str) -> int:
    """The CLI exit code of an error code carried in a TurnError event."""
    pending: list[type[OS1Error]] = [OS1Error]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls.exit_code
        pending.extend(cls.__subclasses__())
    return 1
