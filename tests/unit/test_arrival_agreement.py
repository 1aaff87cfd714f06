"""make bench's agreement of on-arrival answers with the next batch run (evaluation/bench.py)."""

from evaluation.bench import arrival_agreement, disagreements

BEFORE = {("shop", "a", 1): "C1", ("shop", "b", 1): "C2"}  # published: record -> customer
TRUTH = {("shop", "a", 1): "P1", ("shop", "b", 1): "P2", ("shop", "x", 1): "P1", ("shop", "y", 1): "P9",
         ("shop", "z", 1): "P2", ("shop", "w", 1): "P8"}  # fmt: skip
ANSWERS = {
    ("shop", "x", 1): {"decision": "match", "customer_id": "C1", "match_probability": 0.99, "candidates": []},
    ("shop", "y", 1): {"decision": "new", "customer_id": None, "match_probability": 0.1, "candidates": []},
    ("shop", "z", 1): {
        "decision": "match",
        "customer_id": "C1",
        "match_probability": 0.95,
        "candidates": [{"customer_id": "C1", "match_probability": 0.95}],
    },  # fmt: skip
    ("shop", "w", 1): {"decision": "new", "customer_id": None, "match_probability": 0.2, "candidates": []},
}
# the batch kept x with C1 and y new, put z with C2 (the truth's), and w with C1
AFTER = {**BEFORE, ("shop", "x", 1): "C1", ("shop", "y", 1): "C3", ("shop", "z", 1): "C2", ("shop", "w", 1): "C1"}


def test_agreement_counts_a_kept_match_and_a_new_customer_as_agreeing():
    figures = arrival_agreement(ANSWERS, BEFORE, AFTER, TRUTH)
    assert figures["agreeing"] == {"match": 1, "new": 1}
    assert figures["agreement_match_and_new"] == 0.5
    assert figures["on_arrival"] == {
        "precision": 0.5,
        "recall": 0.5,
        "put_with_an_existing_customer": 2,
        "of_existing_people": 2,
    }
    assert figures["batch"]["precision"] == round(2 / 3, 4) and figures["batch"]["recall"] == 1.0


def test_disagreements_name_the_records_the_batch_did_not_keep_with_ids_only():
    cases = disagreements(ANSWERS, BEFORE, AFTER)
    assert [(c["record"], c["on_arrival"], c["batch"], c["batch_customer_existed"]) for c in cases] == [
        (["shop", "z", 1], "C1", "C2", True),
        (["shop", "w", 1], None, "C1", True),
    ]
    assert cases[0]["candidates"] == [("C1", 0.95)]
