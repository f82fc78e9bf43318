"""The printed result: a row per figure with its baseline, ratio and goal, then one JSON line for machines."""

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    baseline: str = ""
    ratio: str = ""
    goal: str = ""
    met: bool | None = None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def missing(self, keys: list[str], reason: str) -> None:
        """A figure that could not be measured stays in the JSON as null, and the reason is printed."""
        for key in keys:
            self.figures[key] = None
        self.notes.append(f"{', '.join(keys)}: not measured: {reason}")

    def print(self) -> None:
        headers = ("figure", "value", "baseline", "ratio", "goal", "met")
        cells = [
            (
                r.figure,
                r.value,
                r.baseline,
                r.ratio,
                r.goal,
                "" if r.met is None else ("yes" if r.met else "NO"),
            )
            for r in self.rows
        ]
        widths = [
            max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)
        ]
        print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        print("  ".join("-" * w for w in widths))
        for c in cells:
            print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
        for note in self.notes:
            print(f"note: {note}")
        print(json.dumps(self.figures, sort_keys=True))
