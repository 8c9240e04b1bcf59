"""Server-rendered SVG charts, the same in pages and PDFs: no JavaScript, legible in grayscale print.

Pure functions of plain values; times are drawn on an axis labelled in the organisation's zone.
"""

import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from models.core.inputs import EARLIEST, LATEST
from models.drills.metrics import SystemMetrics
from models.drills.tables import Drill, OutageKind, Phase

LABEL_W, PLOT_W, ROW_H = 250, 620, 22
WIDTH = LABEL_W + PLOT_W + 24
TICK_STEPS = [5, 10, 15, 30, 60, 120, 180, 360, 720, 1440]


def _defs(hatch_id: str) -> str:
    """A diagonal hatch, distinct from solid fills even in grayscale; one id per chart on a page."""
    return (
        f'<defs><pattern id="{hatch_id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#555" stroke-width="2.5"/></pattern></defs>'
    )


@dataclass(frozen=True)
class Axis:
    start: datetime
    end: datetime
    zone: ZoneInfo

    def x(self, when: datetime) -> float:
        """Horizontal position of an instant, clamped to the plot."""
        span = (self.end - self.start).total_seconds() or 1
        share = (when - self.start).total_seconds() / span
        return LABEL_W + PLOT_W * min(max(share, 0.0), 1.0)

    def ticks(self) -> list[tuple[float, str]]:
        """At most about ten ticks on round local times."""
        minutes = (self.end - self.start).total_seconds() / 60
        step = next((s for s in TICK_STEPS if minutes / s <= 10), TICK_STEPS[-1])
        local = self.start.astimezone(self.zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        offset = (local - midnight).total_seconds() / 60
        first = self.start + timedelta(minutes=(-offset) % step)
        out, tick = [], first
        while tick <= self.end:
            out.append((self.x(tick), tick.astimezone(self.zone).strftime("%H:%M")))
            tick += timedelta(minutes=step)
        return out


def _axis_svg(axis: Axis, top: float, bottom: float) -> str:
    parts = []
    for x, label in axis.ticks():
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + 15}" font-size="10" text-anchor="middle" fill="#333">{label}</text>'
        )
    return "".join(parts)


def _svg(height: float, title: str, hatch_id: str, body: str) -> Markup:
    # Every piece of text from people in `body` went through escape() on its way in.
    return Markup(  # nosec B704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
        f'role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif"><title>{escape(title)}</title>'
        f"{_defs(hatch_id)}{body.replace('url(#hatch)', f'url(#{hatch_id})')}</svg>"
    )


def _clip(text: str, limit: int = 38) -> str:
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def drill_axis(drill: Drill, zone: ZoneInfo, now: datetime) -> Axis | None:
    """An axis over every stamped time of the drill, or None when nothing is stamped yet or a time lies outside
    the years a record may hold (older data may; such a drill is shown without charts)."""
    times = [t for s in drill.steps for t in (s.started_at, s.ended_at) if t]
    times += [t for o in drill.outages for t in (o.started_at, o.ended_at) if t]
    times += [t for t in (drill.actual_start, drill.actual_end) if t]
    times += [
        s.started_at + timedelta(minutes=s.planned_minutes) for s in drill.steps if s.started_at and s.planned_minutes
    ]
    if not times:
        return None
    if any(s.started_at and not s.ended_at for s in drill.steps) or (drill.actual_start and not drill.actual_end):
        times.append(now)
    start, end = min(times), max(times)
    if start.date() < EARLIEST or end.date() > LATEST:
        return None
    return Axis(start, max(end, start + timedelta(minutes=10)), zone)


#: a step's label wraps at this many characters, over at most STEP_LINES lines
STEP_CHARS, STEP_LINES, LINE_H = 26, 4, 11


def _wrapped(text: str) -> list[str]:
    """A step title over up to STEP_LINES lines, the last one clipped if the title is longer still."""
    lines = textwrap.wrap(text, STEP_CHARS) or [""]
    if len(lines) > STEP_LINES:
        lines = [*lines[: STEP_LINES - 1], _clip(" ".join(lines[STEP_LINES - 1 :]), STEP_CHARS)]
    return [str(escape(line)) if not isinstance(line, Markup) else line for line in lines]


def _legend(y: float, items: list[tuple[str, str]]) -> str:
    """Swatches with their labels, for the marks the chart actually shows."""
    out, x = [], LABEL_W
    for swatch, label in items:
        out.append(swatch.format(x=x, y=y - 9) + f'<text x="{x + 24}" y="{y}" font-size="10">{label}</text>')
        x += 34 + 6.5 * len(label)
    return "".join(out)


ACTUAL = '<rect x="{x}" y="{y}" width="18" height="8" fill="#333"/>'
PLANNED = '<rect x="{x}" y="{y}" width="18" height="10" fill="none" stroke="#000" stroke-dasharray="3,2"/>'
RUNNING = '<rect x="{x}" y="{y}" width="18" height="8" fill="url(#hatch)" stroke="#000" stroke-width="0.5"/>'
UP = '<rect x="{x}" y="{y}" width="18" height="9" fill="#fff" stroke="#000" stroke-width="0.6"/>'
DOWN = '<rect x="{x}" y="{y}" width="18" height="9" fill="#222"/>'
DEGRADED = '<rect x="{x}" y="{y}" width="18" height="9" fill="url(#hatch)" stroke="#000" stroke-width="0.6"/>'


def swimlane(drill: Drill, axis: Axis, now: datetime) -> Markup:
    """Steps by phase: the actual duration filled, the planned duration as a dashed outline; labels wrap."""
    steps = sorted((s for s in drill.steps if s.started_at), key=lambda s: (list(Phase).index(s.phase), s.started_at))
    y, body, shade = 8.0, [], False
    for phase in Phase:
        lane = [(s, _wrapped(s.title)) for s in steps if s.phase == phase]
        if not lane:
            continue
        heights = [max(ROW_H, LINE_H * len(lines) + 8) for _, lines in lane]
        body.append(
            f'<rect x="0" y="{y}" width="{WIDTH}" height="{sum(heights)}" fill="{"#f3f3f3" if shade else "#fff"}"/>'
        )
        body.append(f'<text x="6" y="{y + 14}" font-size="10" font-weight="bold" fill="#000">{phase.label}</text>')
        row_y = y
        for (step, lines), height in zip(lane, heights, strict=True):
            for n, line in enumerate(lines):
                body.append(f'<text x="112" y="{row_y + 14 + n * LINE_H}" font-size="9.5" fill="#222">{line}</text>')
            middle = row_y + height / 2
            x0 = axis.x(step.started_at)
            if step.planned_minutes:
                xp = axis.x(step.started_at + timedelta(minutes=step.planned_minutes))
                body.append(
                    f'<rect x="{x0:.1f}" y="{middle - ROW_H / 2 + 3}" width="{max(xp - x0, 1):.1f}" height="{ROW_H - 6}" fill="none" stroke="#000" stroke-dasharray="3,2"/>'
                )
            x1 = axis.x(step.ended_at or now)
            fill = "#333" if step.ended_at else "url(#hatch)"
            body.append(
                f'<rect x="{x0:.1f}" y="{middle - ROW_H / 2 + 6}" width="{max(x1 - x0, 2):.1f}" height="{ROW_H - 12}" fill="{fill}" stroke="#000" stroke-width="0.5"/>'
            )
            row_y += height
        shade = not shade
        y = row_y
    body.insert(0, _axis_svg(axis, 4, y + 4))
    legend_y = y + 36
    shown = [
        (ACTUAL, "actual", any(s.ended_at for s in steps)),
        (PLANNED, "planned", any(s.planned_minutes for s in steps)),
        (RUNNING, "still running", any(not s.ended_at for s in steps)),
    ]
    body.append(_legend(legend_y, [(swatch, label) for swatch, label, present in shown if present]))
    return _svg(legend_y + 8, "Steps by phase, actual against planned duration", "hatch-steps", "".join(body))


def availability(systems: list[SystemMetrics], axis: Axis, now: datetime) -> Markup:
    """One strip per system across the drill: white up, solid down, hatched degraded."""
    body, y = [], 8.0
    for m in systems:
        body.append(f'<text x="6" y="{y + 14}" font-size="10.5" fill="#222">{_clip(m.system.name)}</text>')
        body.append(
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{PLOT_W}" height="{ROW_H - 8}" fill="#fff" stroke="#000" stroke-width="0.6"/>'
        )
        for o in m.outages:
            x0, x1 = axis.x(o.started_at), axis.x(o.ended_at or now)
            fill = "#222" if o.kind == OutageKind.DOWN else "url(#hatch)"
            body.append(
                f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 1.5):.1f}" height="{ROW_H - 8}" fill="{fill}"/>'
            )
        y += ROW_H
    body.insert(0, _axis_svg(axis, 4, y + 4))
    legend_y = y + 36
    kinds = {o.kind for m in systems for o in m.outages}
    shown = [
        (UP, "up", True),
        (DOWN, "down", OutageKind.DOWN in kinds),
        (DEGRADED, "degraded", OutageKind.DEGRADED in kinds),
    ]
    body.append(_legend(legend_y, [(swatch, label) for swatch, label, present in shown if present]))
    return _svg(legend_y + 8, "Availability of each system during the drill", "hatch-availability", "".join(body))


def trend(points: list[tuple[str, float | None]], target: float | None) -> Markup:
    """Achieved recovery minutes per drill as bars, oldest left, with the RTO as a dashed line."""
    width, height, left, bottom = 620, 180, 50, 40
    values = [v for _, v in points if v is not None] + ([target] if target else [])
    top = max(values or [1]) * 1.15
    slot = (width - left - 10) / max(len(points), 1)
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#000"/>']

    def y(v: float) -> float:
        return (height - bottom) - (height - bottom - 10) * v / top

    for i, (label, value) in enumerate(points):
        x = left + i * slot + slot * 0.2
        if value is not None:
            body.append(
                f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{slot * 0.6:.1f}" height="{(height - bottom) - y(value):.1f}" fill="#444"/>'
            )
            body.append(
                f'<text x="{x + slot * 0.3:.1f}" y="{y(value) - 4:.1f}" font-size="10" text-anchor="middle">{value:.0f}</text>'
            )
        body.append(
            f'<text x="{x + slot * 0.3:.1f}" y="{height - bottom + 14}" font-size="10" text-anchor="middle">{escape(label)}</text>'
        )
    if target:
        body.append(
            f'<line x1="{left}" y1="{y(target):.1f}" x2="{width - 10}" y2="{y(target):.1f}" stroke="#000" stroke-dasharray="5,3"/>'
        )
        body.append(f'<text x="{left - 4}" y="{y(target) + 3:.1f}" font-size="10" text-anchor="end">RTO</text>')
    body.append(f'<text x="{left}" y="{height - 8}" font-size="10">minutes to recover, per drill</text>')
    # Labels were escaped above; everything else is numbers.
    return Markup(  # nosec B704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="Achieved recovery time per drill" font-family="DejaVu Sans, sans-serif"><title>Achieved recovery time per drill</title>{"".join(body)}</svg>'
    )
