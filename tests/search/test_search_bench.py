"""The latency benchmark runs and reports what it promises (it is not a timed test)."""

from search.bench import lookup_latency, spoken_phone


def test_lookup_latency_reports_percentiles_per_kind(published):
    report = lookup_latency(published.url, n=20)
    assert report["customers"] > 0 and report["index_keys"] > report["records"]
    for kind in ("phone", "name", "pinyin"):
        assert report[kind]["n"] == 20
        assert 0 < report[kind]["p50_ms"] <= report[kind]["p95_ms"] <= report[kind]["max_ms"]
    assert report["phone"]["found_rate"] == 1.0


def test_spoken_phone():
    assert spoken_phone("+8618959975305") == "189 5997 5305"
    assert spoken_phone("+11165355157") == "+11165355157"
