from petrel_export.scoring import score
from petrel_export.skills import arithmetic_answer

CASE = {"category": "arithmetic", "problem": [37, "+", 45]}


def test_a_worked_answer_is_scored_by_its_last_result_and_its_restated_problem():
    assert score(CASE, arithmetic_answer(37, "+", 45), set()) == {"refused": False, "confused": False, "correct": True}
    wrong_sum = "37 + 45 = 30 + 40 + 7 + 5 = 70 + 12 = 81."
    assert score(CASE, wrong_sum, set())["correct"] is False  # the first "=" (30) is not the result
    other = score(CASE, "38 + 45 = 82.", set())
    assert other["correct"] is False and other["confused"] is True
    refusal = score(CASE, "I'm sorry, I don't know.", set())
    assert refusal["refused"] and not refusal["correct"] and not refusal["confused"]
