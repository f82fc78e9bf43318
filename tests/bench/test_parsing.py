"""The parsing benchmark runs on the whole corpus and reports sensible figures (no timing is asserted)."""

from bench.parsing import corpus, measure_parsing


def test_parsing_benchmark_measures_every_corpus_document() -> None:
    result = measure_parsing(rounds=1)
    assert result.documents == len(corpus()) >= 60
    assert result.per_s > 0 and result.raw_per_s > 0
    assert 0 < result.median_ms <= result.p99_ms
