from petrel_export.model_card import seeds_section


def _skills(arith: int, confusion: float) -> dict:
    return {"greedy": {"arithmetic": {"n": 10, "correct": arith}}, "confusion_rate": confusion, "end_of_turn_rate": 1.0}


def test_seeds_section_sets_each_seed_beside_the_shipped_one():
    table = seeds_section(1337, _skills(9, 0.05), [(1338, _skills(6, 0.1))])
    assert "| seed 1337 (this model) | seed 1338 |" in table
    assert "| 90.0% | 60.0% |" in table
    assert "| confusion | 5.0% | 10.0% |" in table


def test_seeds_section_is_empty_without_other_seeds():
    assert seeds_section(1337, _skills(9, 0.05), []) == ""
