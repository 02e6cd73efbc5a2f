"""Schemas for tasks and the changelog."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StringConstraints

from crewboard.schemas.common import AgentName, RequestModel, ResponseModel
from crewboard.services.core import ID_MAX, TEAM_NAME_MAX, TEAM_NAME_PATTERN
from crewboard.services.tasks import (
    ACTIVE_FORM_MAX,
    BODY_MAX,
    CHANGELOG_TITLE_MAX,
    DESCRIPTION_MAX,
    FILE_MAX,
    FILES_MAX,
    MAX_LINKS_PER_CALL,
    MAX_TASK_LINKS,
    OUTCOME_MAX,
    REASON_MAX,
    STATUS_NAMES,
    TITLE_MAX,
    VERIFIED_MAX,
)

Title = Annotated[str, StringConstraints(min_length=1, max_length=TITLE_MAX)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)]
ActiveForm = Annotated[str, StringConstraints(max_length=ACTIVE_FORM_MAX)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=REASON_MAX)]
Outcome = Annotated[str, StringConstraints(min_length=1, max_length=OUTCOME_MAX)]
Verified = Annotated[str, StringConstraints(min_length=1, max_length=VERIFIED_MAX)]
FilePath = Annotated[str, StringConstraints(min_length=1, max_length=FILE_MAX)]
Files = Annotated[list[FilePath], Field(max_length=FILES_MAX)]
Priority = Annotated[int, Field(ge=0, le=3)]
TaskNumber = Annotated[int, Field(ge=1, le=ID_MAX)]
Numbers = Annotated[list[TaskNumber], Field(max_length=MAX_LINKS_PER_CALL)]  # dependencies
TaskLinks = Annotated[list[TaskNumber], Field(max_length=MAX_TASK_LINKS)]  # of an entry
if TYPE_CHECKING:
    StatusName = str
else:  # the tasks service's names, as an enum in the JSON schema
    StatusName = Literal[STATUS_NAMES]
Body = Annotated[str, StringConstraints(min_length=1, max_length=BODY_MAX)]
# The template's entry says what was done, not always the problem: it may be left empty.
OptionalBody = Annotated[str, StringConstraints(min_length=0, max_length=BODY_MAX)]
EntryTitle = Annotated[str, StringConstraints(min_length=1, max_length=CHANGELOG_TITLE_MAX)]
TeamName = Annotated[str, StringConstraints(pattern=TEAM_NAME_PATTERN, max_length=TEAM_NAME_MAX)]


class TaskCreate(RequestModel):
    """A new task; ``tracker`` puts it on an agent's tracker (none: shared)."""

    title: Title
    description: Description = ""
    active_form: ActiveForm | None = None
    tracker: AgentName | None = None
    priority: Priority = 2
    metadata: dict[str, Any] | None = None
    blocked_by: Numbers = Field(default_factory=list)
    as_agent: AgentName | None = None
    team: TeamName | None = None


class TaskUpdate(RequestModel):
    """Fields to change; absent fields stay. ``owner: null`` releases the owner, ``team: null``
    takes the task off its team.

    ``version`` (or an ``If-Match`` header) is required: a stale one gets 409.
    """

    version: int | None = Field(default=None, ge=1)
    title: Title | None = None
    description: Description | None = None
    active_form: ActiveForm | None = None
    priority: Priority | None = None
    tracker: AgentName | None = None
    owner: AgentName | None = None
    status: StatusName | None = None
    blocked_reason: Reason | None = None
    needs_agent: AgentName | None = None
    outcome: Outcome | None = None
    files: Files | None = None
    verified: Verified | None = None
    metadata: dict[str, Any] | None = None
    add_blocked_by: Numbers = Field(default_factory=list)
    add_blocks: Numbers = Field(default_factory=list)
    as_agent: AgentName | None = None
    team: TeamName | None = None


class ActAs(RequestModel):
    """Who acts (a person may name an agent) and the version the caller saw."""

    as_agent: AgentName | None = None
    version: int | None = Field(default=None, ge=1)


class ClaimNext(RequestModel):
    """Claim the best ready task: by default on your own tracker or among shared tasks;
    ``tracker`` picks one tracker, ``shared_only`` only shared tasks, ``anywhere`` any;
    ``team`` any task of that team (alone: not with the other three)."""

    tracker: AgentName | None = None
    shared_only: bool = False
    anywhere: bool = False
    team: TeamName | None = None
    as_agent: AgentName | None = None


class BlockRequest(ActAs):
    """Blocked, with the reason and the agent whose help is needed."""

    reason: Reason
    needs_agent: AgentName | None = None


class ChangelogIn(RequestModel):
    """A changelog entry: the four parts the seed asks for."""

    title: EntryTitle
    problem: OptionalBody = ""
    fix: Body
    verified: Body
    files: Files = Field(default_factory=list)
    task_ids: TaskLinks = Field(default_factory=list)
    as_agent: AgentName | None = None
    # The entry as a file wrote it (crewboard sync): shown again in its own words while they
    # still read as this entry.
    source: OptionalBody | None = None


class ChangelogWithTask(RequestModel):
    """The entry appended when completing a task (the task is linked by itself). ``files``
    and ``verified`` default to the completion's own: one fact, one name."""

    title: EntryTitle
    problem: Body
    fix: Body
    verified: Body | None = None
    files: Files | None = None


class CompleteRequest(ActAs):
    """Completed: the one-line outcome, files, how it was verified; optionally the changelog."""

    outcome: Outcome
    files: Files = Field(default_factory=list)
    verified: Verified | None = None
    changelog: ChangelogWithTask | None = None


class DependenciesIn(RequestModel):
    """Tasks this one waits on."""

    blocked_by: Annotated[list[TaskNumber], Field(min_length=1, max_length=MAX_LINKS_PER_CALL)]


class FollowUpIn(RequestModel):
    """A task for another agent's tracker, created because of this one."""

    tracker: AgentName
    title: Title
    description: Description = ""
    priority: Priority = 2
    as_agent: AgentName | None = None


class TaskRead(ResponseModel):
    """A task as the API shows it; ``number`` is its id within the project."""

    number: int
    title: str
    description: str
    active_form: str | None
    tracker: str | None
    owner: str | None
    status: str
    priority: int
    blocked_reason: str | None
    needs_agent: str | None
    team: str | None
    source: int | None
    outcome: str | None
    files: list[str]
    verified: str | None
    lease_expires_at: datetime | None
    metadata: dict[str, Any]
    version: int
    blocked_by: list[int]
    open_blockers: list[int]
    blocks: list[int]
    created_by: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class TaskChangeRead(ResponseModel):
    """The task after a change, what changed, and the status move."""

    task: TaskRead
    updated_fields: list[str]
    status_change: list[str] | None


class ChangelogRead(ResponseModel):
    """A changelog entry."""

    id: int
    agent: str
    title: str
    problem: str
    fix: str
    files: list[str]
    verified: str
    task_ids: list[int]
    created_by: str
    created_at: datetime


class CompletionRead(TaskChangeRead):
    """A completion, with the changelog entry appended in the same call."""

    changelog: ChangelogRead | None


class EventRead(ResponseModel):
    """One recorded change."""

    id: int
    at: datetime
    actor: str
    kind: str
    subject: str
    data: dict[str, Any]
