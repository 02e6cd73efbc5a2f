"""One ``crewboard sync`` run: read hand edits back through the API, then write the files.

The order matters for "once and only once" and "never overwrite an unread edit":

1. fetch the roster, every task (with its version) and the rendered files;
2. diff each local file against the text last written (``plan``); a file with problems or
   with a task changed on both sides is left untouched and nothing of it is applied;
3. apply the rest, each update naming the version the file showed (a server change in
   between is a 409, reported as a conflict); a created task carries a key in its metadata
   and a re-run after a crash finds it instead of creating it again; an update the server
   already holds, or a changelog entry already appended, is not sent again;
4. fetch again and write the files that are clean, state first (keeping the old text as
   ``previous``), then the files, then the state without ``previous``.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crewboard.client.errors import ClientError
from crewboard.client.project import Remote
from crewboard.services.core import TRACKERS_DIR, write_repo_file
from crewboard.services.markdown import SOURCE_TEXT, parse_changelog, parse_tracker
from crewboard.sync.block import refusal_block
from crewboard.sync.plan import (
    NewEntry,
    NewTask,
    Plan,
    Problem,
    TaskEdit,
    entry_matches,
    plan_changelog,
    plan_tracker,
    satisfied,
)
from crewboard.sync.state import (
    CHANGELOG_FILE,
    FileState,
    SyncState,
    load_state,
    read_text,
    save_state,
)

logger = logging.getLogger(__name__)
PAGE = 200
SNAPSHOT_TRIES = 3


@dataclass(frozen=True, slots=True)
class Conflict:
    """A task changed both in the file and on the server since the last sync."""

    path: str
    number: int
    local: str
    server: str


@dataclass
class Outcome:
    """What a run did: applied edits, rewritten files, and what it refused."""

    applied: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every synced file, repository-relative

    @property
    def clean(self) -> bool:
        return not (self.conflicts or self.problems)


@dataclass
class Snapshot:
    """The server side: each file's text (and its agent; None for the changelog), the tasks."""

    texts: dict[str, str]
    agents: dict[str, str | None]
    tasks: dict[int, dict[str, Any]]

    def versions(self, path: str) -> dict[int, int]:
        """The versions of the tasks the server's text of ``path`` shows."""
        if self.agents[path] is None:
            return {}
        numbers = [i.task.number for i in parse_tracker(self.texts[path]).items]
        return {n: int(self.tasks[n]["version"]) for n in numbers if n in self.tasks}

    def line_of(self, path: str, number: int) -> str:
        """The server's line for task ``number`` in ``path``, or where it went."""
        for line in self.texts[path].split("\n"):
            if line.startswith(f"- #{number} ") or f": #{number} " in line[:20]:
                return line
        return f"#{number} is no longer on this tracker"


def _safe_path(agent: str, tracker_path: str) -> str:
    """A roster tracker path, refused unless it is a .md file under .claude/trackers/ (the
    server checks it too; a server's word is not enough to write elsewhere in a repository)."""
    norm = posixpath.normpath(tracker_path)
    if not norm.startswith(TRACKERS_DIR) or not norm.endswith(".md"):
        raise ClientError(f"the tracker path of {agent} ({tracker_path}) is outside {TRACKERS_DIR}")
    return norm


def _all(remote: Remote, *parts: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in remote.client.pages(remote.path(*parts), {}, size=PAGE, follow=True):
        items.extend(page["items"])
    return items


def _tasks(remote: Remote) -> dict[int, dict[str, Any]]:
    return {int(t["number"]): t for t in _all(remote, "tasks")}


def fetch(remote: Remote) -> Snapshot:
    """The server side, consistent: the task versions did not move while the texts were read."""
    agents = {_safe_path(a["name"], a["tracker_path"]): a["name"] for a in _all(remote, "agents")}
    tasks = _tasks(remote)
    for _ in range(SNAPSHOT_TRIES):
        texts = {
            p: remote.client.text(remote.path("trackers", f"{a}.md")) for p, a in agents.items()
        }
        texts[CHANGELOG_FILE] = remote.client.text(remote.path("changelog.md"))
        again = _tasks(remote)
        stable = {n: t["version"] for n, t in again.items()} == {
            n: t["version"] for n, t in tasks.items()
        }
        tasks = again
        if stable:
            break
    owners: dict[str, str | None] = {**agents, CHANGELOG_FILE: None}
    return Snapshot(texts, owners, tasks)


def _plan(path: str, agent: str | None, base: str, local: str, adopting: bool) -> Plan:
    if agent is None:
        return plan_changelog(path, base, local, adopting=adopting)
    return plan_tracker(path, agent, base, local, adopting=adopting)


def _check(path: str, plan: Plan, state: FileState, snap: Snapshot) -> list[Conflict]:
    """Drop the edits the server already holds; the tasks changed on both sides."""
    conflicts: list[Conflict] = []
    pending: list[TaskEdit] = []
    for edit in plan.edits:
        task = snap.tasks.get(edit.number)
        if task is not None and satisfied(edit.fields, task):
            continue  # applied by an earlier run that stopped before writing the file
        if task is None or task["version"] != state.versions.get(edit.number):
            server = snap.line_of(path, edit.number) if task else f"#{edit.number} is gone"
            conflicts.append(Conflict(path, edit.number, edit.text, server))
        else:
            pending.append(edit)
    plan.edits = pending
    return conflicts


def _apply_edit(remote: Remote, edit: TaskEdit, version: int | None) -> None:
    remote.patch("tasks", edit.number, body={**edit.fields, "version": version})


def _apply_create(remote: Remote, agent: str, path: str, new: NewTask, snap: Snapshot) -> bool:
    """Create the task unless an earlier run did (its key is in a task's metadata), then give
    it the status its line was written under."""
    task = next(
        (
            t
            for t in snap.tasks.values()
            if (t.get("metadata") or {}).get("sync", {}).get("key") == new.key
        ),
        None,
    )
    created = task is None
    if task is None:
        body: dict[str, object] = {
            "title": new.title,
            "tracker": agent,
            "blocked_by": list(new.blocked_by),
            "metadata": {"sync": {"key": new.key, "file": path, SOURCE_TEXT: new.text}},
        }
        if new.priority is not None:
            body["priority"] = new.priority
        task = remote.post("tasks", body=body)
    if new.then and not satisfied(new.then, task):
        remote.patch("tasks", int(task["number"]), body={**new.then, "version": task["version"]})
        return True
    return created


def _apply_entries(remote: Remote, state: FileState, plan: Plan, snap: Snapshot) -> list[str]:
    """Append the new entries, skipping one an earlier run appended (newer than the base)."""
    known = {e.record.entry_id for e in parse_changelog(state.text).entries}
    newer = [
        e.record
        for e in parse_changelog(snap.texts[CHANGELOG_FILE]).entries
        if e.record.entry_id not in known
    ]
    done: list[str] = []
    for new in plan.entries:
        match = next((r for r in newer if entry_matches(new.record, r)), None)
        if match is not None:
            newer.remove(match)
            continue
        _append(remote, new)
        done.append(f"{CHANGELOG_FILE}: appended '{new.record.title}'")
    return done


def _append(remote: Remote, new: NewEntry) -> None:
    record = new.record
    body: dict[str, object] = {
        "title": record.title,
        "problem": record.problem,
        "fix": record.fix,
        "verified": record.verification,
        "files": list(record.files),
        "task_ids": list(record.tasks),
    }
    if record.agent is not None:
        body["as_agent"] = record.agent
    if record.source is not None:
        body["source"] = record.source
    remote.post("changelog", body=body)


def _apply(
    remote: Remote, path: str, plan: Plan, state: FileState, snap: Snapshot, out: Outcome
) -> bool:
    """Apply every edit of one file's plan that can be; False when one was refused."""
    agent = snap.agents[path]
    ok = True
    for edit in plan.edits:
        try:
            _apply_edit(remote, edit, state.versions.get(edit.number))
        except ClientError as exc:
            ok = False
            if "[version-conflict]" in exc.message:
                out.conflicts.append(Conflict(path, edit.number, edit.text, "changed meanwhile"))
            else:
                out.problems.append(Problem(path, edit.line, edit.text, exc.message))
            continue
        out.applied.append(f"{path}: {edit.describe()}")
    for new in plan.creates:
        try:
            if agent is not None and _apply_create(remote, agent, path, new, snap):
                out.applied.append(f"{path}: created '{new.title}'")
        except ClientError as exc:
            ok = False
            out.problems.append(Problem(path, new.line, new.text, exc.message))
    if plan.entries:
        try:
            out.applied.extend(_apply_entries(remote, state, plan, snap))
        except ClientError as exc:
            ok = False
            out.problems.append(Problem(path, plan.entries[0].line, "", exc.message))
    return ok


def _unedited(local: str, state: FileState | None, server: str) -> bool:
    if state is None:
        return local == server
    return local in (state.text, state.previous)


def _learn_style(remote: Remote, path: str, agent: str | None, local: str, server: str) -> bool:
    """Teach the server how a hand-edited file is written, when it writes it otherwise."""
    if agent is None:
        mine, theirs = parse_changelog(local).style, parse_changelog(server).style
        if mine == theirs:
            return False
        remote.client.request("PUT", remote.path("changelog.style"), json={"style": mine.to_json()})
        return True
    own, shown = parse_tracker(local).style, parse_tracker(server).style
    if own == shown:
        return False
    remote.client.request(
        "PUT", remote.path("trackers", f"{agent}.style"), json={"style": own.to_json()}
    )
    return True


def sync_once(remote: Remote, repo: Path) -> Outcome:
    """One run; see the module docstring. Never raises for an edit it could not apply."""
    state = load_state(repo, remote.project)
    snap = fetch(remote)
    out = Outcome()
    # Every file is read (a link or a FIFO refused) before anything is applied or written.
    seen = {path: read_text(repo, path) for path in sorted(snap.texts)}
    read: set[str] = set()  # the files whose hand edits this run read (their block is new)
    learned = False
    for path in sorted(snap.texts):
        local = seen[path]
        previous = state.files.get(path)
        if local is None or _unedited(local, previous, snap.texts[path]):
            continue
        read.add(path)
        adopting = previous is None
        base = FileState(snap.texts[path], snap.versions(path)) if previous is None else previous
        agent = snap.agents[path]
        plan = _plan(path, agent, base.text, local, adopting)
        out.problems.extend(plan.problems)
        out.conflicts.extend(_check(path, plan, base, snap))
        _apply(remote, path, plan, base, snap, out)
        try:
            learned = _learn_style(remote, path, agent, local, snap.texts[path]) or learned
        except ClientError as exc:
            out.problems.append(Problem(path, 0, "", f"its style was not kept: {exc.message}"))
    if out.applied or learned:
        snap = fetch(remote)
    _write(repo, state, snap, read, seen, out)
    _tell_dashboard(remote, read, out)
    out.files = sorted(snap.texts)
    return out


def _tell_dashboard(remote: Remote, read: set[str], out: Outcome) -> None:
    """Send what each file refused to the server, for the project's activity on the dashboard
    (the files and stderr have it already: a server that will not take it is only logged)."""
    for path in sorted(read):
        refused = [
            {"line": p.line, "text": p.text.strip().split("\n")[0][:500], "reason": p.reason[:500]}
            for p in out.problems
            if p.path == path
        ]
        refused += [
            {
                "line": 0,
                "text": c.local.strip().split("\n")[0][:500],
                "reason": f"#{c.number} changed here and on the server meanwhile",
            }
            for c in out.conflicts
            if c.path == path
        ]
        if not refused:
            continue
        try:
            remote.post("sync", "refused", body={"file": path, "refused": refused[:50]})
        except ClientError as exc:
            logger.warning("the dashboard was not told what %s refused: %s", path, exc.message)


def _write(
    repo: Path,
    state: SyncState,
    snap: Snapshot,
    read: set[str],
    seen: dict[str, str | None],
    out: Outcome,
) -> None:
    """State first (old text kept as ``previous``), then the files, then the state again.

    Every file follows the server (none is ever frozen); what this run could not apply of a
    file is listed in a block at its end, kept until a run reads the file's next hand edit."""
    targets: dict[str, str] = {}
    for path, text in snap.texts.items():
        if read_text(repo, path) != seen.get(path):
            continue  # edited while this run was going: left for the next run to read
        old = state.files.get(path)
        block = refusal_block(path, out) if path in read else (old.block if old else [])
        targets[path] = text + ("\n" + "\n".join(block) + "\n" if block else "")
        state.files[path] = FileState(
            targets[path], snap.versions(path), seen.get(path), list(block)
        )
    save_state(repo, state)
    for path, text in targets.items():
        if seen.get(path) != text:
            write_repo_file(repo, path, text)
            out.written.append(path)
    for entry in state.files.values():
        entry.previous = None
    save_state(repo, state)
