"""The geometry of the progress charts, drawn by templates as inline SVG.

Plain arithmetic on a fixed viewBox: the SVG scales to any width, needs no
JavaScript and no library, and carries presentation attributes only (no
inline style), so it works under the strict Content-Security-Policy. Colours
are from the Okabe-Ito palette, safe for colour-blind readers, and every
series also differs in shape or dash, so it reads in grey print too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from .progress import ROLLING_DAYS, Day, PainPoint, Week

CELL = 34
GAP = 4
WEEK_LABEL = 56
TALLY = 44  # "2 of 3" at the end of each week's row
HEADER = 22

PAIN_WIDTH = 320
PAIN_HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 28, 10, 10, 30


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    day: Day


@dataclass(frozen=True)
class CalendarChart:
    width: int
    height: int
    cells: list[Cell]
    week_labels: list[tuple[int, str]]  # (y, "3 Nov")
    weekday_labels: list[tuple[int, str]]  # (x, "M")
    tallies: list[tuple[int, str, bool]]  # (y, "2/3" or "7/7 +1", short of the plan)
    tally_x: int
    size: int = CELL


def calendar(weeks: list[Week]) -> CalendarChart:
    cells = []
    labels = []
    tallies = []
    for row, week in enumerate(weeks):
        y = HEADER + row * (CELL + GAP)
        labels.append((y + CELL // 2 + 5, _short(week.monday)))
        if week.planned:
            tallies.append((y + CELL // 2 + 5, week.tally.mark, week.is_short))
        for column, day in enumerate(week.days):
            if day is not None:
                cells.append(Cell(WEEK_LABEL + column * (CELL + GAP), y, day))
    return CalendarChart(
        width=WEEK_LABEL + 7 * (CELL + GAP) + TALLY,
        height=HEADER + len(weeks) * (CELL + GAP),
        cells=cells,
        week_labels=labels,
        weekday_labels=[
            (WEEK_LABEL + column * (CELL + GAP) + CELL // 2, letter)
            for column, letter in enumerate("MTWTFSS")
        ],
        tallies=tallies,
        tally_x=WEEK_LABEL + 7 * (CELL + GAP) + TALLY - 2,
    )


MARK = 6  # the side of a square mark


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    value: int
    day: dt.date

    @property
    def corner_x(self) -> float:
        return round(self.x - MARK / 2, 1)

    @property
    def corner_y(self) -> float:
        return round(self.y - MARK / 2, 1)


@dataclass(frozen=True)
class PainChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    grid: list[tuple[float, int]]  # (y, pain)
    ticks: list[tuple[float, str, str]]  # (x, "3 Nov", text-anchor)
    before: list[Mark]
    after: list[Mark]
    average_before: list[str]  # polylines' points: a new line after a gap of a week
    average_after: list[str]


def pain(points: list[PainPoint], start: dt.date, end: dt.date) -> PainChart:
    span = max(1, (end - start).days)
    plot_width = PAIN_WIDTH - LEFT - RIGHT
    plot_height = PAIN_HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        if start == end:  # one day: in the middle
            return round(LEFT + plot_width / 2, 1)
        return round(LEFT + plot_width * (day - start).days / span, 1)

    def y(value: Fraction | int) -> float:
        return round(TOP + plot_height * (10 - float(value)) / 10, 1)

    def lines(values: list[tuple[dt.date, Fraction]]) -> list[str]:
        """The 7-day average as lines, broken where a week or more has no session:
        there was no average to draw across the gap."""
        runs: list[list[str]] = []
        previous = None
        for day, value in values:
            if previous is None or (day - previous).days >= ROLLING_DAYS:
                runs.append([])
            runs[-1].append(f"{x(day)},{y(value)}")
            previous = day
        return [" ".join(run) for run in runs]

    if start == end:
        ticks = [(x(start), _short(start), "middle")]
    else:
        ticks = [(x(start), _short(start), "start"), (x(end), _short(end), "end")]
    if span >= 14:
        middle = start + dt.timedelta(days=span // 2)
        ticks.insert(1, (x(middle), _short(middle), "middle"))
    return PainChart(
        width=PAIN_WIDTH,
        height=PAIN_HEIGHT,
        left=LEFT,
        right=PAIN_WIDTH - RIGHT,
        top=TOP,
        bottom=PAIN_HEIGHT - BOTTOM,
        grid=[(y(value), value) for value in range(0, 11, 2)],
        ticks=ticks,
        before=[Mark(x(p.day), y(p.before), p.before, p.day) for p in points],
        after=[Mark(x(p.day), y(p.after), p.after, p.day) for p in points],
        average_before=lines([(p.day, p.average_before) for p in points]),
        average_after=lines([(p.day, p.average_after) for p in points]),
    )


def _short(day: dt.date) -> str:
    return f"{day.day} {day:%b}"
