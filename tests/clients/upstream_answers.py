"""What the measured transport counted (observability/upstream.py): Maventa's 4xx answers, each 429 among them
even when the pace sent the refused request again and its caller never saw it."""

from observability.upstream import UPSTREAM_ERRORS


def maventa_4xx_answers() -> float:
    return sum(
        sample.value
        for metric in UPSTREAM_ERRORS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
        and sample.labels["upstream"] == "maventa"
        and sample.labels["status_class"] == "4xx"
    )
