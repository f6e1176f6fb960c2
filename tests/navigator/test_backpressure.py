"""What a busy process answers first, and the rule that no scan older than 1 s guides anyone."""

from __future__ import annotations

from navigator.backpressure import ScanBudget, Waiting, next_round, tell_unavailable, too_old

BUDGET = ScanBudget()  # 1 s, a queue forms at 50 ms, rounds of 20 ms, silent after 3 s


def scan(session: str, received_s: float, name: str = "") -> Waiting[str]:
    return Waiting(session, received_s, True, name or f"{session}-scan@{received_s}")


def command(session: str, received_s: float, name: str) -> Waiting[str]:
    return Waiting(session, received_s, False, name)


def items(ws: list[Waiting[str]]) -> list[str]:
    return [w.item for w in ws]


def test_without_a_queue_one_message_per_walker_in_arrival_order() -> None:
    waiting = [scan("a", 10.00), scan("b", 10.01), command("a", 10.02, "a-repeat"),
               scan("c", 10.02)]
    r = next_round(waiting, now_s=10.03, cost_s=0.0, budget=BUDGET)
    assert items(r.answer) == ["a-scan@10.0", "b-scan@10.01", "c-scan@10.02"]
    assert items(r.later) == ["a-repeat"], "a walker's messages keep their order"
    assert r.late == []


def test_a_forming_queue_answers_the_freshest_first_and_drops_superseded_scans() -> None:
    waiting = [scan("a", 10.0), scan("b", 10.1), scan("a", 10.2), command("c", 10.3, "c-stop"),
               scan("d", 10.4)]
    r = next_round(waiting, now_s=10.5, cost_s=0.0, budget=BUDGET)  # oldest waited 0.5 s
    assert items(r.answer) == ["d-scan@10.4", "c-stop", "a-scan@10.2", "b-scan@10.1"]
    assert items(r.late) == ["a-scan@10.0"], "a's newer scan makes its older one useless"


def test_scans_too_old_for_their_round_are_late_but_commands_are_still_answered() -> None:
    waiting = [scan("a", 9.0), command("a", 9.0, "a-stop"), scan("b", 9.015), scan("c", 9.99)]
    r = next_round(waiting, now_s=10.0, cost_s=0.0, budget=BUDGET)
    # b waited 0.985 s: with a round of up to 20 ms ahead it would be used at over 1 s
    assert items(r.late) == ["a-scan@9.0", "b-scan@9.015"]
    assert sorted(items(r.answer)) == ["a-stop", "c-scan@9.99"]


def test_a_round_holds_what_fits_in_its_time_and_the_rest_waits_in_order() -> None:
    waiting = [scan(s, 10.0) for s in "abcdef"] + [command("a", 10.0, "a-repeat")]
    r = next_round(waiting, now_s=10.01, cost_s=0.008, budget=BUDGET)  # 20 ms / 8 ms: 2
    assert items(r.answer) == ["a-scan@10.0", "b-scan@10.0"]
    assert items(r.later) == [f"{s}-scan@10.0" for s in "cdef"] + ["a-repeat"]
    one = next_round(waiting, now_s=10.01, cost_s=0.5, budget=BUDGET)
    assert len(one.answer) == 1, "a slow answer still makes progress"


def test_every_waiting_message_is_answered_once_whatever_the_load() -> None:
    waiting = [scan(s, 10.0 + 0.01 * i) for i, s in enumerate("abcabcabc")]
    waiting += [command("b", 10.05, "b-repeat")]
    now, seen = 10.3, []
    while waiting:
        r = next_round(waiting, now_s=now, cost_s=0.01, budget=BUDGET)
        seen += items(r.answer) + items(r.late)
        waiting, now = r.later, now + 0.02
    assert sorted(seen) == sorted({*seen}) and len(seen) == 10


def test_the_last_check_before_use_and_when_to_tell_the_walker() -> None:
    assert not too_old(received_s=5.0, now_s=6.0, budget=BUDGET)
    assert too_old(received_s=5.0, now_s=6.001, budget=BUDGET)
    assert not tell_unavailable(late_since_t=100.0, t=102.0, budget=BUDGET)
    assert tell_unavailable(late_since_t=100.0, t=103.0, budget=BUDGET)
