"""The records of a project export (JSON lines), checked at the boundary with the API's limits.

A file is a header line, then one record per line: ``{"type": "...", ...}``. Teams, messages
and changelog entries carry the ``id`` they had in the source database, only so that other
records can point at them; tasks are named by their per-project ``number``. See
docs/backup.md for the format.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticError

from crewboard.services.core import (
    ADDRESS_MAX,
    AGENT_NAME_PATTERN,
    DOMAIN_MAX,
    EMAIL_MAX,
    MESSAGE_BODY_MAX,
    MESSAGE_SUMMARY_MAX,
    NAME_MAX,
    PATH_MAX,
    REQUEST_ID_MAX,
    SLUG_PATTERN,
    TEAM_DESCRIPTION_MAX,
    TEAM_NAME_PATTERN,
    TRACKER_PATH_MAX,
    Invalid,
    check_email,
    check_tracker_path,
)
from crewboard.services.markdown import ChangelogStyle, TrackerStyle
from crewboard.services.messages import Kind
from crewboard.services.tasks import (
    ACTIVE_FORM_MAX,
    CHANGELOG_TITLE_MAX,
    DESCRIPTION_MAX,
    FILE_MAX,
    FILES_MAX,
    OUTCOME_MAX,
    REASON_MAX,
    TITLE_MAX,
    VERIFIED_MAX,
)
from crewboard.services.tasks import BODY_MAX as CHANGELOG_BODY_MAX
from crewboard.services.tasks import (
    Status as TaskStatus,
)

FORMAT: Final = "crewboard-project"
VERSION: Final = 1
# One line may hold a message body and its JSON escaping, or a large metadata object.
LINE_MAX = 1_048_576
LABEL_MAX = 200  # "who did it": actor labels and created_by
EVENT_KIND_MAX = 64
EVENT_SUBJECT_MAX = 200

Role = Literal["owner", "member", "agent", "viewer"]
if TYPE_CHECKING:
    Status = str
else:  # the tasks service's statuses, as an enum in the JSON schema
    Status = Literal[tuple(s.value for s in TaskStatus)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
AgentName = Annotated[str, StringConstraints(pattern=AGENT_NAME_PATTERN, max_length=64)]
TeamName = Annotated[str, StringConstraints(pattern=TEAM_NAME_PATTERN, max_length=64)]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
SmallId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Number = Annotated[int, Field(ge=1, le=2**31 - 1)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=LABEL_MAX)]
Address = Annotated[str, StringConstraints(min_length=1, max_length=ADDRESS_MAX)]
FilePath = Annotated[str, StringConstraints(min_length=1, max_length=FILE_MAX)]
Files = Annotated[list[FilePath], Field(max_length=FILES_MAX)]
VersionText = Annotated[str, StringConstraints(min_length=0, max_length=64)]
ActiveForm = Annotated[str, StringConstraints(min_length=0, max_length=ACTIVE_FORM_MAX)]
ChangelogBody = Annotated[str, StringConstraints(min_length=0, max_length=CHANGELOG_BODY_MAX)]
ChangelogTitle = Annotated[str, StringConstraints(min_length=1, max_length=CHANGELOG_TITLE_MAX)]
Description = Annotated[str, StringConstraints(min_length=0, max_length=DESCRIPTION_MAX)]
Domain = Annotated[str, StringConstraints(min_length=0, max_length=DOMAIN_MAX)]
Email = Annotated[str, StringConstraints(min_length=3, max_length=EMAIL_MAX)]
EventKind = Annotated[str, StringConstraints(min_length=1, max_length=EVENT_KIND_MAX)]
EventSubject = Annotated[str, StringConstraints(min_length=1, max_length=EVENT_SUBJECT_MAX)]
MessageBody = Annotated[str, StringConstraints(min_length=0, max_length=MESSAGE_BODY_MAX)]
Summary = Annotated[str, StringConstraints(min_length=0, max_length=MESSAGE_SUMMARY_MAX)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
Outcome = Annotated[str, StringConstraints(min_length=0, max_length=OUTCOME_MAX)]
RepoPath = Annotated[str, StringConstraints(min_length=0, max_length=PATH_MAX)]
Reason = Annotated[str, StringConstraints(min_length=0, max_length=REASON_MAX)]
RequestId = Annotated[str, StringConstraints(min_length=1, max_length=REQUEST_ID_MAX)]
TeamDescription = Annotated[str, StringConstraints(min_length=0, max_length=TEAM_DESCRIPTION_MAX)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=TITLE_MAX)]
TrackerPath = Annotated[str, StringConstraints(min_length=1, max_length=TRACKER_PATH_MAX)]
Verified = Annotated[str, StringConstraints(min_length=0, max_length=VERIFIED_MAX)]


def _control_character(value: object) -> bool:
    if isinstance(value, str):
        return any(ord(ch) < 32 and ch not in "\n\t\r" for ch in value)
    return isinstance(value, list) and any(_control_character(item) for item in value)


class Record(BaseModel):
    """Every line: no unknown fields, JSON types only (no coercion of "1" into 1), and no
    control characters in text (as the services refuse them; they would reach terminals)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="after")
    def _plain_text(self) -> Record:
        for name in type(self).model_fields:
            if _control_character(getattr(self, name)):
                raise ValueError(f"{name} contains control characters")
        return self


class Header(Record):
    format: Literal["crewboard-project"]
    version: int
    exported_at: AwareDatetime
    crewboard: VersionText


class ProjectRecord(Record):
    type: Literal["project"] = "project"
    slug: Slug
    name: Name
    repo_path: RepoPath | None
    created_at: AwareDatetime
    changelog_style: dict[str, Any] | None = None  # how CHANGELOG.md is written

    @field_validator("changelog_style")
    @classmethod
    def _changelog_style(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else ChangelogStyle.from_json(value).to_json()


class AgentRecord(Record):
    type: Literal["agent"] = "agent"
    name: AgentName
    domain: Domain
    tracker_path: TrackerPath
    created_at: AwareDatetime
    tracker_style: dict[str, Any] | None = None  # how the tracker file is written

    @field_validator("tracker_style")
    @classmethod
    def _tracker_style(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else TrackerStyle.from_json(value).to_json()

    @field_validator("tracker_path")
    @classmethod
    def _tracker_path(cls, value: str) -> str:
        # Sync writes the tracker into teammates' repositories: under .claude/trackers/ only,
        # the rule the roster applies.
        try:
            return check_tracker_path(value, "tracker_path", TRACKER_PATH_MAX)
        except Invalid as exc:
            raise ValueError(exc.message) from exc


class MemberRecord(Record):
    type: Literal["member"] = "member"
    email: Email
    name: Name
    role: Role
    agent_name: AgentName | None
    created_at: AwareDatetime

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            return check_email(value)
        except Invalid as exc:
            raise ValueError(exc.message) from exc

    @model_validator(mode="after")
    def _agent_role(self) -> MemberRecord:
        if (self.role == "agent") != (self.agent_name is not None):
            raise ValueError("agent_name is set exactly when the role is agent")
        return self


class TeamRecord(Record):
    type: Literal["team"] = "team"
    id: SmallId
    name: TeamName
    description: TeamDescription
    lead: AgentName | None
    created_at: AwareDatetime
    deleted_at: AwareDatetime | None


class TeamMemberRecord(Record):
    type: Literal["team_member"] = "team_member"
    team: SmallId
    agent_name: AgentName
    joined_at: AwareDatetime


class ClaudeTeamRecord(Record):
    type: Literal["claude_team"] = "claude_team"
    team: SmallId
    config: dict[str, Any]
    imported_at: AwareDatetime


class TaskRecord(Record):
    type: Literal["task"] = "task"
    number: Number
    title: Title
    description: Description
    active_form: ActiveForm | None
    tracker: AgentName | None
    owner: AgentName | None
    status: Status
    priority: Annotated[int, Field(ge=0, le=3)]
    blocked_reason: Reason | None
    needs_agent: AgentName | None
    team: SmallId | None
    source: Number | None
    outcome: Outcome | None
    files: Files
    verified: Verified | None
    lease_expires_at: AwareDatetime | None
    metadata: dict[str, Any]
    version: Annotated[int, Field(ge=1, le=2**31 - 1)]
    created_by: Label
    created_at: AwareDatetime
    updated_at: AwareDatetime
    completed_at: AwareDatetime | None


class DependencyRecord(Record):
    type: Literal["dependency"] = "dependency"
    task: Number
    blocked_by: Number


class MessageRecord(Record):
    type: Literal["message"] = "message"
    id: SmallId
    team: SmallId | None
    sender: Address
    kind: Kind
    body: MessageBody
    summary: Summary | None
    request_id: RequestId | None
    reply_to: SmallId | None
    approve: bool | None
    created_at: AwareDatetime

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, use_enum_values=True)


class DeliveryRecord(Record):
    type: Literal["delivery"] = "delivery"
    message: SmallId
    recipient: Address
    read_at: AwareDatetime | None
    acked_at: AwareDatetime | None


class ClaudeMessageRecord(Record):
    type: Literal["claude_message"] = "claude_message"
    message: SmallId
    entry: dict[str, Any]


class ChangelogRecord(Record):
    type: Literal["changelog"] = "changelog"
    id: Id
    agent: AgentName
    title: ChangelogTitle
    problem: ChangelogBody
    fix: ChangelogBody
    files: Files
    verification: ChangelogBody
    created_by: Label
    created_at: AwareDatetime
    tasks: Annotated[list[Number], Field(max_length=FILES_MAX)]
    source: ChangelogBody | None = None  # the entry as the file wrote it


class EventRecord(Record):
    type: Literal["event"] = "event"
    at: AwareDatetime
    actor: Label
    kind: EventKind
    subject: EventSubject
    data: dict[str, Any]


BODY_TYPES: dict[str, type[Record]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        ProjectRecord,
        AgentRecord,
        MemberRecord,
        TeamRecord,
        TeamMemberRecord,
        ClaudeTeamRecord,
        TaskRecord,
        DependencyRecord,
        MessageRecord,
        DeliveryRecord,
        ClaudeMessageRecord,
        ChangelogRecord,
        EventRecord,
    )
}
# The order an export writes and an importer applies: each type only points at earlier ones.
ORDER = tuple(BODY_TYPES)


class Numbered(BaseModel):
    """A record and the line it came from (errors name it)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    line: int
    record: Record


def _reason(exc: PydanticError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {message}{more}" if where else message + more


def parse_line(line: str, *, first: bool) -> Record:
    """One line as its record; a bad line raises ``ValueError`` with the reason."""
    if len(line) > LINE_MAX:
        raise ValueError(f"line longer than {LINE_MAX} characters")
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a JSON line ({exc.msg})") from exc
    if not isinstance(raw, dict):
        raise ValueError("a line must be a JSON object")
    if first:
        if raw.get("format") != FORMAT:
            raise ValueError(f'the first line must be the header {{"format": "{FORMAT}", ...}}')
        if raw.get("version") != VERSION:
            raise ValueError(
                f"unsupported format version {raw.get('version')!r} "
                f"(this crewboard reads {VERSION})"
            )
        model: type[Record] = Header
    else:
        kind = raw.get("type")
        if not isinstance(kind, str) or kind not in BODY_TYPES:
            raise ValueError(f"unknown record type {kind!r}")
        model = BODY_TYPES[kind]
    try:
        return model.model_validate_json(line)
    except PydanticError as exc:
        raise ValueError(_reason(exc)) from exc


def parse_lines(name: str, lines: list[str]) -> tuple[Header, list[Numbered]]:
    """Every line of a file checked on its own; the first bad one is ``Invalid("NAME:LINE: …")``."""
    records: list[Numbered] = []
    header: Header | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = parse_line(line, first=header is None)
        except ValueError as exc:
            raise Invalid(f"{name}:{number}: {exc}", field="file") from exc
        if isinstance(record, Header):
            header = record
        else:
            records.append(Numbered(line=number, record=record))
    if header is None:
        raise Invalid(f"{name}:1: empty file (no header line)", field="file")
    return header, records
