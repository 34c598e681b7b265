"""Mail accounts from `[mail.accounts.<name>]`, validated; passwords never shown or logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from os1.config import Settings
from os1.errors import ConfigError

KEYRING_SERVICE = "os1-mail"


class MailAccount(BaseModel):
    """One account: an IMAP server (with SMTP for sending) or a local Maildir."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    kind: Literal["imap", "maildir"] = "imap"
    address: str = Field("", description="The user's own address (the From of what they send)")
    display_name: str = ""
    host: str = ""
    port: int | None = Field(None, ge=1, le=65535)
    ssl: bool = True
    starttls: bool = False
    username: str = ""
    password: SecretStr | None = None
    password_keyring: bool = False
    path: str = Field("", description="Maildir folder (kind = maildir)")
    inbox: str = "INBOX"
    archive_folder: str = "Archive"
    trash_folder: str = "Trash"
    sent_folder: str = "Sent"
    smtp_host: str = ""
    smtp_port: int | None = Field(None, ge=1, le=65535)
    smtp_ssl: bool = False
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    timeout: float = Field(20.0, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> MailAccount:
        if self.kind == "imap" and not self.host:
            raise ValueError("an imap account needs a host")
        if self.kind == "maildir" and not self.path:
            raise ValueError("a maildir account needs a path")
        return self

    @property
    def imap_port(self) -> int:
        return self.port or (993 if self.ssl else 143)

    @property
    def smtp_port_or_default(self) -> int:
        return self.smtp_port or (465 if self.smtp_ssl else 587)

    def maildir_path(self) -> Path:
        return Path(self.path).expanduser()

    def secret(self) -> str | None:
        """The IMAP password: from the config, or from the system keyring when asked."""
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_keyring:
            import keyring
            from keyring.errors import KeyringError

            try:
                found = keyring.get_password(KEYRING_SERVICE, self.name)
            except KeyringError as exc:
                raise ConfigError(
                    f"mail account {self.name!r}: the system keyring could not be read "
                    f"({type(exc).__name__})",
                    hint=f"Store it with `keyring set {KEYRING_SERVICE} {self.name}`.",
                ) from None
            if found is None:
                raise ConfigError(
                    f"mail account {self.name!r}: no password in the system keyring",
                    hint=f"Store it with `keyring set {KEYRING_SERVICE} {self.name}`.",
                )
            return found
        return None

    def smtp_secret(self) -> str | None:
        if self.smtp_password is not None:
            return self.smtp_password.get_secret_value()
        if self.smtp_username and self.smtp_username == self.username:
            return self.secret()
        return None

    def public(self) -> dict[str, Any]:
        """What `os1 mail accounts` shows: everything but secrets."""
        shown: dict[str, Any] = {"name": self.name, "kind": self.kind, "address": self.address}
        if self.kind == "imap":
            shown.update(host=self.host, port=self.imap_port, username=self.username)
            shown["password"] = (
                "keyring" if self.password_keyring else ("set" if self.password else "none")
            )
        else:
            shown["path"] = self.path
        shown["smtp"] = f"{self.smtp_host}:{self.smtp_port_or_default}" if self.smtp_host else ""
        return shown


class MailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accounts: dict[str, MailAccount] = Field(default_factory=dict)
    default: str = ""
    # Let the model polish drafts: auto = only a model behind an OpenAI-compatible server.
    draft_with_model: Literal["auto", "on", "off"] = "auto"
    # How many of the newest inbox mails triage looks at.
    triage_limit: int = Field(30, ge=1, le=5000)


def mail_settings(settings: Settings) -> MailSettings:
    try:
        raw = dict(settings.mail)
        accounts = {
            name: {**(value if isinstance(value, dict) else {}), "name": name}
            for name, value in dict(raw.get("accounts", {})).items()
        }
        raw["accounts"] = accounts
        return MailSettings.model_validate(raw)
    except (ValidationError, TypeError, AttributeError) as exc:
        message = str(exc)
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = f"{where}: {first['msg']}"
        raise ConfigError(
            f"bad [mail] settings: {message}",
            hint="See [mail.accounts.<name>] in config.toml (kind, host, username, …).",
        ) from None


def account(settings: Settings, name: str | None = None) -> MailAccount:
    """The named account, or the default one (the only one, or `mail.default`)."""
    mail = mail_settings(settings)
    if not mail.accounts:
        raise ConfigError(
            "no mail account is set up",
            hint="Add one to config.toml under [mail.accounts.<name>] (kind, host or path).",
        )
    chosen = name or mail.default or next(iter(mail.accounts))
    if chosen not in mail.accounts:
        known = ", ".join(sorted(mail.accounts))
        raise ConfigError(f"no mail account named {chosen!r}", hint=f"Known accounts: {known}.")
    return mail.accounts[chosen]
