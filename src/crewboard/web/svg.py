"""Geometry for the server-drawn SVG: the dependency graph's layered layout and the bars of
the charts. Templates only place what is computed here."""

from __future__ import annotations

from dataclasses import dataclass

from crewboard.models.tasks import Task
from crewboard.services.tasks import RESOLVED
from crewboard.services.views import Graph, Throughput

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 220, 44, 60, 16, 10
# A title's characters that fit a box: 12px text averages under 7px a character; the
# browser test measures the drawn text against its box.
LABEL_CHARS = (NODE_W - 16) // 8
PALETTE = ("#2553c9", "#c25a00", "#1f7a3a", "#7b3fb3", "#b3261e", "#00838f", "#6d4c41", "#5d6778")


@dataclass(frozen=True, slots=True)
class Node:
    """A task box."""

    task: Task
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class Edge:
    """An arrow from a blocker's right side to the waiting task's left side."""

    x1: int
    y1: int
    x2: int
    y2: int
    open: bool


@dataclass(frozen=True, slots=True)
class Layout:
    """A drawn graph."""

    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int


def layout_graph(graph: Graph) -> Layout:
    """Columns by depth (a task stands right of everything it waits on), rows by number."""
    by_number = {t.number: t for t in graph.tasks}
    waits_on: dict[int, list[int]] = {n: [] for n in by_number}
    for blocker, waiting in graph.edges:
        waits_on[waiting].append(blocker)
    depth: dict[int, int] = {}
    for number in sorted(by_number):  # iterative longest path; the graph has no cycle
        stack = [number]
        while stack:
            current = stack[-1]
            pending = [b for b in waits_on[current] if b not in depth]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            depth[current] = 1 + max((depth[b] for b in waits_on[current]), default=-1)
    columns: dict[int, list[int]] = {}
    for number in sorted(by_number):
        columns.setdefault(depth[number], []).append(number)
    place: dict[int, tuple[int, int]] = {}
    for col, numbers in columns.items():
        for row, number in enumerate(numbers):
            place[number] = (PAD + col * (NODE_W + GAP_X), PAD + row * (NODE_H + GAP_Y))
    nodes = [Node(by_number[n], *place[n]) for n in sorted(by_number)]
    edges = [
        Edge(
            place[b][0] + NODE_W,
            place[b][1] + NODE_H // 2,
            place[w][0],
            place[w][1] + NODE_H // 2,
            open=by_number[b].status not in RESOLVED,
        )
        for b, w in graph.edges
    ]
    width = PAD * 2 + max(1, len(columns)) * (NODE_W + GAP_X)
    rows = max((len(v) for v in columns.values()), default=1)
    return Layout(nodes, edges, width, PAD * 2 + rows * (NODE_H + GAP_Y))


@dataclass(frozen=True, slots=True)
class Bar:
    """One stacked segment of a day's bar."""

    x: int
    y: int
    height: int
    color: str
    label: str


def throughput_bars(data: Throughput, *, height: int = 160, bar: int = 26) -> dict[str, object]:
    """Stacked bars per day, one colour per agent, scaled to the busiest day."""
    totals = [sum(counts[i] for counts in data.per_agent.values()) for i in range(len(data.days))]
    top = max([1, *totals])
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(data.per_agent)}
    bars: list[Bar] = []
    for i, day in enumerate(data.days):
        y = height
        for name, counts in data.per_agent.items():
            if counts[i]:
                h = round(counts[i] * (height - 10) / top)
                y -= h
                label = f"{day.isoformat()}: {name} completed {counts[i]}"
                bars.append(Bar(30 + i * (bar + 6), y, h, colors[name], label))
    labels = [
        (30 + i * (bar + 6) + bar // 2, day.strftime("%d")) for i, day in enumerate(data.days)
    ]
    return {
        "bars": bars,
        "labels": labels,
        "colors": colors,
        "top": top,
        "bar": bar,
        "width": 40 + len(data.days) * (bar + 6),
        "height": height,
    }
