"""The feeds file (`feeds.yaml`, or `.toml`): every live source a newsroom runs, in one place.

```yaml
state_dir: .wirestream/feeds        # optional: where each feed keeps what it sent
defaults: {every: 60s}              # optional: any field, for every feed that has it
feeds:
  - name: afp-ftp                   # letters, digits, - _ . (names the state file)
    kind: ftps                      # folder | ftp | ftps | sftp | imap | api | http | rss
    url: ftps://wire@ftp.example.net/outgoing
    password_env: AFP_FTP_PASSWORD  # secrets come from the environment, by name
    format: newsml-1.2              # optional: skip format detection
    every: 30s
```

Secrets are never written in the file: each `*_env` field names an environment variable
that holds the password, token or key; a missing one is a one-line configuration error
for that feed only. See deploy/feeds.example.yaml for every kind and option.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import unquote, urlsplit

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from connectors.registry import FORMATS

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class FeedConfigError(ValueError):
    """The feeds file cannot be used as written: one line per problem."""


def parse_duration(value: Any) -> float:
    """30, "30s", "5m", "1h", "1.5h" -> seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        v = value.strip().lower()
        try:
            seconds = float(v[:-1]) * _UNITS[v[-1]] if v[-1] in _UNITS else float(v)
        except ValueError:
            raise ValueError(f"{value!r} is not a duration like 30s, 5m or 1h") from None
    else:
        raise ValueError(f"{value!r} is not a duration like 30s, 5m or 1h")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


def env_secret(name: str | None, field: str, feed: str) -> str | None:
    """The value of the environment variable `name`; a FeedConfigError when it is unset."""
    if not name:
        return None
    value = os.environ.get(name)
    if value is None:
        raise FeedConfigError(f"feed {feed}: environment variable {name} ({field}) is not set")
    return value


class FeedBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    every: Duration = 60.0
    format: str | None = None
    encoding: str | None = None
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        if not NAME.match(name):
            raise ValueError(f"{name!r}: use letters, digits, '-', '_' or '.'")
        return name

    @field_validator("format")
    @classmethod
    def _check_format(cls, fmt: str | None) -> str | None:
        if fmt is not None and fmt not in FORMATS:
            raise ValueError(f"{fmt!r} is not one of {', '.join(FORMATS)}")
        return fmt

    @field_validator("every")
    @classmethod
    def _check_every(cls, every: float) -> float:
        if every <= 0:
            raise ValueError("must be more than 0 seconds")
        return every

    def secrets(self) -> dict[str, str]:
        """field -> environment variable name, for each secret this feed reads."""
        return {
            k: v for k, v in self.model_dump().items() if k.endswith("_env") and isinstance(v, str)
        }

    @property
    def address(self) -> str:
        raise NotImplementedError


class FolderFeed(FeedBase):
    kind: Literal["folder"]
    path: Path
    every: Duration = 2.0
    settle: Duration = 1.0

    @property
    def address(self) -> str:
        return str(self.path)


class _UrlFeed(FeedBase):
    url: str
    timeout: Duration = 30.0
    tls_verify: bool = True
    ca_file: str | None = None

    @property
    def parts(self) -> Any:
        return urlsplit(self.url)

    @property
    def address(self) -> str:
        """The URL without any password in it."""
        p = self.parts
        user = f"{p.username}@" if p.username else ""
        port = f":{p.port}" if p.port else ""
        return f"{p.scheme}://{user}{p.hostname or ''}{port}{p.path}"

    def url_user(self) -> str | None:
        return unquote(self.parts.username) if self.parts.username else None

    def _check_scheme(self, *schemes: str) -> None:
        p = self.parts
        if p.scheme not in schemes or not p.hostname:
            raise ValueError(f"url {self.url!r}: expected {' or '.join(schemes)}://host/…")
        if p.password:
            raise ValueError("url: no password in the URL; name its variable in password_env")


class RemoteFeed(_UrlFeed):
    kind: Literal["ftp", "ftps", "sftp"]
    username: str | None = None
    password_env: str | None = None
    after: Literal["move", "delete", "keep"] = "move"
    done: str = "done"
    failed: str = "failed"
    settle: Duration = 5.0
    # FTP
    passive: bool = True
    # SFTP
    key_files: list[str] = Field(default_factory=list)
    passphrase_env: str | None = None
    known_hosts: str | None = None
    host_key_check: bool = True

    @model_validator(mode="after")
    def _check_remote(self) -> RemoteFeed:
        self._check_scheme(*(("sftp",) if self.kind == "sftp" else ("ftp", "ftps")))
        return self


class ImapFeed(_UrlFeed):
    kind: Literal["imap"]
    username: str | None = None
    password_env: str | None = None
    starttls: bool = False  # imap:// with STARTTLS (imaps:// is TLS from the start)
    after: Literal["seen", "move", "delete", "keep"] = "seen"
    move_to: str = "Processed"
    failed_to: str | None = None
    batch: int = Field(default=200, ge=1)

    @model_validator(mode="after")
    def _check_imap(self) -> ImapFeed:
        self._check_scheme("imap", "imaps")
        return self

    @property
    def mailbox(self) -> str:
        return unquote(self.parts.path.lstrip("/")) or "INBOX"


class HttpFeed(_UrlFeed):
    kind: Literal["api", "http", "rss"]
    token_env: str | None = None  # Authorization: Bearer <token>
    api_key_env: str | None = None
    api_key_header: str | None = "X-API-Key"
    api_key_param: str | None = None  # send the key as this query parameter instead
    headers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    items: str | None = None
    item_id: list[str] | None = None
    item_version: list[str] | None = None
    next_page: str | None = None
    cursor: str | None = None
    cursor_param: str = "cursor"
    resume: bool = False
    max_pages: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _check_http(self) -> HttpFeed:
        self._check_scheme("http", "https")
        if self.next_page and self.cursor:
            raise ValueError("next_page and cursor: choose one way to page")
        return self


Feed = Annotated[FolderFeed | RemoteFeed | ImapFeed | HttpFeed, Field(discriminator="kind")]


class FeedsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state_dir: Path | None = None
    defaults: dict[str, Any] = Field(default_factory=dict)
    feeds: list[Feed]

    @model_validator(mode="after")
    def _unique(self) -> FeedsFile:
        names = [f.name for f in self.feeds]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"feed names must be unique: {', '.join(twice)}")
        return self

    def get(self, name: str) -> Feed:
        for f in self.feeds:
            if f.name == name:
                return f
        raise FeedConfigError(
            f"no feed named {name!r} (feeds: {', '.join(f.name for f in self.feeds) or 'none'})"
        )


_KIND_FIELDS: dict[str, set[str]] = {}
for _model in (FolderFeed, RemoteFeed, ImapFeed, HttpFeed):
    for _k in get_args(_model.model_fields["kind"].annotation):
        _KIND_FIELDS[_k] = set(_model.model_fields)


def _describe(exc: ValidationError, raw: dict[str, Any]) -> str:
    lines = []
    listed = raw.get("feeds")
    feeds: list[Any] = listed if isinstance(listed, list) else []
    for e in exc.errors():
        loc = list(e["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "feeds" and isinstance(loc[1], int):
            i = loc[1]
            name = feeds[i].get("name") if i < len(feeds) and isinstance(feeds[i], dict) else None
            where = f"feeds[{i}]" + (f" ({name})" if name else "")
            loc = [x for x in loc[2:] if x not in _KIND_FIELDS]  # drop the union tag
        else:
            where = ".".join(map(str, loc[:1]))
            loc = loc[1:]
        field = ".".join(map(str, loc))
        msg = e["msg"].removeprefix("Value error, ")
        lines.append(f"{where}{': ' + field if field else ''}: {msg}")
    return "\n".join(lines)


def load_feeds(path: Path) -> FeedsFile:
    """Read and check the feeds file; FeedConfigError with every problem, one per line."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise FeedConfigError(
            f"cannot read {path}: no such file (start from deploy/feeds.example.yaml; "
            "--config or WIRE_FEEDS_FILE names another)"
        ) from None
    except OSError as exc:
        raise FeedConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        raise FeedConfigError(f"{path}: not valid TOML: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FeedConfigError(f"{path}: not valid YAML: {where}{problem}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("feeds"), list):
        raise FeedConfigError(f"{path}: expected a mapping with a 'feeds' list")
    defaults = raw.get("defaults") or {}
    if isinstance(defaults, dict):
        feeds = []
        for f in raw["feeds"]:
            if isinstance(f, dict):
                fields = _KIND_FIELDS.get(str(f.get("kind")), set())
                f = {k: v for k, v in defaults.items() if k in fields} | f
            feeds.append(f)
        raw = raw | {"feeds": feeds}
    try:
        return FeedsFile.model_validate(raw)
    except ValidationError as exc:
        raise FeedConfigError(f"{path}:\n{_describe(exc, raw)}") from None
