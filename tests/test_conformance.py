"""`sdcontracts conformance` and `sdcontracts.conformance`: the cases it generates, the checks,
the table and reports, failing-case files with working curl lines, the budget, recording and
replay, and a mock made lax on purpose being caught and named."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest
from sdcontracts.mock import DEFAULT_CREDENTIALS, ManualClock, Mock, MockConfig

import sdcontracts
from sdcontracts._cli import main
from sdcontracts.conformance import (
    VALID,
    BudgetExhausted,
    Cassette,
    SharedBudget,
    Target,
    TargetSpec,
    generate_cases,
    live_target,
    mock_target,
    replay_target,
    run,
    target_from,
)
from sdcontracts.conformance._cases import shares
from sdcontracts.conformance._report import _reproduce, junit, markdown, rows, save_failures, table
from sdcontracts.strategies import rule_ids

ALL = list(sdcontracts.providers())


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["conformance", "--no-progress", "--workers", "1", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- cases ----------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_cases_and_another_seed_others() -> None:
    first = [c.payload for c in generate_cases("zhiqite", 20, seed=11)]
    assert first == [c.payload for c in generate_cases("zhiqite", 20, seed=11)]
    assert first != [c.payload for c in generate_cases("zhiqite", 20, seed=12)]


def test_no_case_is_sent_twice_and_each_rule_gets_its_full_share() -> None:
    """Hypothesis' simplest example and the parts it reuses do not repeat a request, and every
    invalid case breaks the rule it was drawn for, including the image and list rules a payload
    without the optional field cannot break (PICPIK's ReferenceImage and ControlNetParams)."""
    cases = list(generate_cases("picpik", 120, seed=4))
    keys = [json.dumps([c.rule, c.payload], sort_keys=True) for c in cases]
    expected = {rule: n for rule, n in shares("picpik", 120).items() if n}
    got: dict[str, int] = {}
    for case in cases:
        got[case.rule] = got.get(case.rule, 0) + 1
    assert (len(keys), expected) == (len(set(keys)), got)
    assert {"image-encoding", "image-format", "max-items"} <= set(got)


def test_half_the_cases_are_valid_and_the_rest_go_round_every_rule() -> None:
    share = shares("novita", 200)
    assert 100 == share[VALID]
    assert set(rule_ids("novita")) == {r for r, n in share.items() if n and r != VALID}
    assert 200 == sum(share.values())


def test_a_huge_case_rule_is_capped_and_its_share_goes_to_the_others() -> None:
    share = shares("novita", 1000)
    assert 4 == share["image-size"]
    assert 1000 == sum(share.values())
    assert min(n for r, n in share.items() if r not in (VALID, "image-size")) >= 30


def test_every_generated_case_is_labelled_with_what_it_breaks() -> None:
    for case in generate_cases("picpik", 40, seed=3):
        report = sdcontracts.validate("picpik", case.payload)
        assert (set() if case.kind == "valid" else {case.rule}) == report.rules, case


# -- runs against the in-process mock -------------------------------------------------------------


def test_every_provider_agrees_with_its_contract_on_the_mock() -> None:
    result = run(ALL, mock_target(), examples=60, seed=5)
    assert result.ok, table(result)
    for provider, outcome in result.providers.items():
        assert 60 == len(outcome.verdicts)
        assert outcome.requests >= 60
        valid = next(r for r in rows(outcome) if r.rule == VALID)
        assert (30, 30) == (valid.cases, valid.accepted), provider
        assert all(r.rejected == r.cases for r in rows(outcome) if r.rule != VALID), provider


def test_valid_cases_include_the_lenient_forms_and_the_default_mock_accepts_them() -> None:
    """Some valid cases carry warnings (Zhiqite's string seed, omitted batch_size…); the mock, like
    the provider, accepts them: every case agrees."""
    cases = list(generate_cases("zhiqite", 40, seed=4))
    warned = [c for c in cases if c.kind == "valid" and sdcontracts.validate("zhiqite", c.payload).warnings]
    assert warned
    result = run(["zhiqite"], mock_target(), examples=40, seed=4)
    assert result.ok, table(result)


def test_the_strict_profile_sends_only_clean_valid_cases_and_disputed_values_to_reject() -> None:
    """--strict: valid cases are valid by every reading; a strict mock rejects each invalid case,
    including those that break only a disputed constraint; the rerun line keeps --strict."""
    cases = list(generate_cases("zhiqite", 40, seed=4, strict=True))
    assert all(sdcontracts.validate("zhiqite", c.payload).clean for c in cases if c.kind == "valid")
    for case in (c for c in cases if c.kind == "invalid"):
        assert {case.rule} == sdcontracts.validate("zhiqite", case.payload, strict=True).rules
    result = run(["zhiqite"], TargetSpec("mock", strict=True), examples=40, seed=4)
    assert result.ok and result.strict, table(result)
    assert "--strict" in _reproduce(result)


def test_lenient_valid_cases_disagree_with_a_strict_mock() -> None:
    """A provider that enforces the strict reading refuses the lenient forms: the default profile
    against a strict mock shows those valid cases as disagreements, naming the disputed rule."""
    strict_mock = mock_target(strict=True)
    strict_mock.strict = False  # a strict provider, cases drawn by the default profile
    result = run(["zhiqite"], strict_mock, examples=40, seed=4)
    assert not result.ok
    assert {"valid"} == {v.case.rule for v in result.disagreements()}
    assert any("the sources disagree" in v.problems[0] for v in result.disagreements())


def test_a_rule_the_mock_leaves_unenforced_is_reported_as_disagreeing() -> None:
    result = run(["novita"], mock_target(unenforced={"novita": ["maximum"]}), examples=60, seed=5)
    assert not result.ok
    wrong = {(v.case.rule, v.accepted) for v in result.disagreements()}
    assert {("maximum", True)} == wrong
    assert all("although it breaks maximum" in v.problems[0] for v in result.disagreements())


def test_a_valid_case_checks_count_format_and_size_of_what_comes_back() -> None:
    # a mock answering every task with one 8x8 image disagrees with every request asking for more or larger
    target = mock_target()
    mock = target.transport.answer.__self__  # type: ignore[union-attr]
    original = mock.handlers["zhiqite"].new_task

    def shrunk(payload: Any, **options: Any) -> Any:
        task = original(payload, **options)
        task.images, task.width, task.height = 1, 8, 8
        return task

    mock.handlers["zhiqite"].new_task = shrunk
    result = run(["zhiqite"], target, examples=20, seed=2)
    problems = " ".join(p for v in result.disagreements() for p in v.problems)
    assert "the first image is 8x8" in problems
    assert all(v.case.kind == "valid" for v in result.disagreements())


def test_the_budget_stops_sending_and_says_how_many_cases_were_not_sent() -> None:
    target = mock_target(budget=10)
    result = run(["aliyun"], target, examples=20, seed=1)
    outcome = result.providers["aliyun"]
    assert 10 == outcome.requests == target.sent("aliyun")
    assert outcome.unsent > 0 and "budget of 10" in (outcome.stopped or "")
    assert len(outcome.verdicts) + outcome.unsent == 20


def test_a_shared_budget_holds_across_targets(tmp_path: Path) -> None:
    budget = SharedBudget(tmp_path, 5)
    first, second = mock_target(), mock_target()
    first.shared_budget = second.shared_budget = budget
    sent = 0
    for target in (first, second):
        client = target.client("aliyun")
        with pytest.raises(BudgetExhausted):
            for _ in range(10):
                client.submit({"prompt": "x"})
                sent += 1
    assert 5 == sent


def test_workers_give_the_same_verdicts_as_one_process() -> None:
    spec = TargetSpec("mock")
    together = run(["aliyun", "zhiqite"], spec, examples=16, seed=9, workers=2)
    alone = run(["aliyun", "zhiqite"], spec, examples=16, seed=9, workers=1)
    assert together.ok and alone.ok
    for provider in ("aliyun", "zhiqite"):
        assert [v.case.payload for v in together.providers[provider].verdicts] == [
            v.case.payload for v in alone.providers[provider].verdicts
        ]


# -- the command ----------------------------------------------------------------------------------


def test_the_command_prints_a_table_per_provider_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    # 38 cases: half of them invalid, one for each of Tensor.Art's 19 rules (the most any provider has)
    code, out, _ = cli(capsys, "--examples", "38", "--seed", "1")
    assert 0 == code
    for provider in ALL:
        assert f"\n{provider} (" in out
    assert "conforming: all 190 cases agree, every rule judged" in out


def test_too_few_examples_to_judge_every_rule_is_inconclusive_not_conforming(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """12 cases give Tensor.Art's 19 rules 6 invalid cases: the verdict names the 13 rules left
    unjudged and the --examples that covers them, and the exit status is 3, not 0."""
    code, out, _ = cli(capsys, "--provider", "tensorart", "--examples", "12", "--seed", "1")
    share = shares("tensorart", 12)
    unjudged = [f"tensorart:{rule}" for rule in rule_ids("tensorart") if not share[rule]]
    assert (3, 13) == (code, len(unjudged))
    assert (
        f"INCONCLUSIVE: the 12 cases sent agree, but not enough cases to judge rules {', '.join(unjudged)} "
        "(--examples 38 gives every rule a case)"
    ) in out
    assert out.count("no: too few --examples") == 13


def test_a_deliberately_lax_mock_makes_the_command_exit_1_naming_the_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = cli(
        capsys, "--provider", "tensorart", "--examples", "60", "--seed", "4",
        "--unenforced", "tensorart:tensorart.latent-upscaler", "--failures", str(tmp_path),
    )  # fmt: skip
    assert 1 == code
    assert "NOT CONFORMING" in out and "tensorart:tensorart.latent-upscaler" in out
    assert (
        "rerun with: sdcontracts conformance --provider tensorart --target mock "
        "--unenforced tensorart:tensorart.latent-upscaler --examples 60 --seed 4"
    ) in out  # the hint keeps --provider: rerunning it runs what failed, not all five
    saved = sorted(tmp_path.glob("tensorart-tensorart.latent-upscaler-*.json"))
    assert saved and all(p.name.endswith((".json",)) for p in saved)


def test_usage_errors_exit_2_and_say_what_is_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    assert 2 == cli(capsys, "--unenforced", "novita")[0]
    code, _, err = cli(capsys, "--unenforced", "novita:no-such-rule")
    assert 2 == code and "novita has no rule 'no-such-rule'" in err and "maximum" in err
    code, _, err = cli(capsys, "--target", "ftp://x")
    assert 2 == code and "use mock, live, replay:FILE or an http(s) URL" in err
    code, _, err = cli(capsys, "--target", "live", "--unenforced", "novita:maximum")
    assert 2 == code and "in-process mock" in err


def test_live_without_credentials_exits_2_naming_the_variables(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [v for v in __import__("os").environ if v.startswith("SDCONTRACTS_")]:
        monkeypatch.delenv(name)
    code, _, err = cli(capsys, "--target", "live", "--provider", "novita")
    assert 2 == code and "SDCONTRACTS_NOVITA_API_KEY" in err


def test_markdown_and_junit_reports_carry_every_rule(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    md, xml = tmp_path / "r.md", tmp_path / "r.xml"
    code, _, _ = cli(
        capsys, "--provider", "zhiqite", "--examples", "30", "--seed", "2", "--unenforced", "zhiqite:enum",
        "--report", str(md), "--junit", str(xml), "--failures", str(tmp_path / "f"),
    )  # fmt: skip
    assert 1 == code
    text = md.read_text(encoding="utf-8")
    assert "**not conforming**" in text and "| `enum` |" in text and "case file" in text
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite is not None and "conformance.zhiqite" == suite.get("name")
    names = {case.get("name"): case for case in suite.iter("testcase")}
    assert {VALID, *rule_ids("zhiqite")} == set(names)
    assert names["enum"].find("failure") is not None and names["maximum"].find("failure") is None


def test_progress_goes_to_stderr_when_piped(capsys: pytest.CaptureFixture[str]) -> None:
    main(["conformance", "--provider", "aliyun", "--examples", "4", "--workers", "1"])
    err = capsys.readouterr().err
    assert ["aliyun: generating", "aliyun: sending", "aliyun: done"] == err.splitlines()


# -- failing-case files -----------------------------------------------------------------------------


def test_a_saved_case_has_a_curl_line_that_reproduces_it_against_mock_serve(tmp_path: Path) -> None:
    from sdcontracts.mock.asgi import BackgroundServer

    result = run(["novita"], mock_target(unenforced={"novita": ["maximum"]}), examples=40, seed=5)
    saved = save_failures(result, tmp_path / "failures")
    document = json.loads(next(iter(saved.values())).read_text(encoding="utf-8"))
    assert document["curl"].startswith(
        'curl -sS -X POST "${SDCONTRACTS_MOCK_URL:-http://127.0.0.1:8000}/v3/async/img2img"'
    )
    assert shutil.which("curl"), "the curl lines need curl"
    with BackgroundServer(Mock()) as url:  # an honest mock: it rejects what the lax one took
        answer = subprocess.run(
            ["bash", "-c", document["curl"]], capture_output=True, text=True, timeout=30, cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "SDCONTRACTS_MOCK_URL": url},
        )  # fmt: skip
    body = json.loads(answer.stdout)
    assert ("INVALID_REQUEST_BODY", "maximum") == (body["reason"], body["metadata"]["rule"])
    assert document["path"] == body["metadata"]["path"]


def test_a_live_case_file_holds_no_credential_and_its_curl_reads_them_from_the_environment(tmp_path: Path) -> None:
    # a "live" target that is really a lax mock: the report must treat its credentials as secrets
    mock = Mock(MockConfig(lifecycle="steps", unenforced={"novita": ["maximum"], "zhiqite": ["maximum"]}),
                clock=ManualClock())  # fmt: skip
    credentials = {p: mock.credentials(p) for p in ("novita", "zhiqite")}
    target = Target("live", False, credentials, {"novita": None, "zhiqite": None}, transport=mock.transport())
    result = run(["novita", "zhiqite"], target, examples=40, seed=5)
    saved = save_failures(result, tmp_path)
    assert {"novita", "zhiqite"} == {provider for provider, _ in saved}
    written = "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())
    for secret in ("sk_mock_novita_key", "zq_mock_secret", "zq_mock_id"):
        assert secret not in written
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in saved.values()]
    curls = " ".join(d["curl"] for d in documents)
    assert '"authorization: Bearer $SDCONTRACTS_NOVITA_API_KEY"' in curls
    assert '"x-request-req-accesskeysecret: $SDCONTRACTS_ZHIQITE_ACCESS_KEY_SECRET"' in curls


# -- recording and replay -------------------------------------------------------------------------


def test_a_recorded_run_replays_offline_to_the_same_verdicts(tmp_path: Path) -> None:
    lax = {"picpik": ["maximum"]}
    recorded = run(["picpik", "aliyun"], TargetSpec("mock", unenforced=lax), examples=30, seed=8, record=True)
    path = tmp_path / "run.json"
    recorded.cassette().save(path)
    text = path.read_text(encoding="utf-8")
    for value in DEFAULT_CREDENTIALS["picpik"].values():
        assert value not in text  # PublicKey and Signature are redacted in every body
    assert DEFAULT_CREDENTIALS["aliyun"]["app_key"] not in text
    replayed = run(["picpik", "aliyun"], replay_target(path), examples=30, seed=8)
    assert [(v.case.number, v.agreed) for v in recorded.disagreements()] == [
        (v.case.number, v.agreed) for v in replayed.disagreements()
    ]
    assert recorded.disagreements()  # the lax rule was recorded, and the replay still sees it


def test_a_replay_that_no_longer_matches_the_cassette_is_a_finding(tmp_path: Path) -> None:
    recorded = run(["zhiqite"], TargetSpec("mock"), examples=6, seed=1, record=True)
    cassette = recorded.cassette()
    cassette.interactions["zhiqite"][0]["request"]["url"] = "https://example.invalid/elsewhere"
    path = tmp_path / "tampered.json"
    cassette.save(path)
    replayed = run(["zhiqite"], replay_target(path), examples=6, seed=1)
    outcome = replayed.providers["zhiqite"]
    assert not replayed.ok and "recorded POST /elsewhere" in (outcome.stopped or "")


def test_a_replay_must_use_the_recorded_seed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(["aliyun"], TargetSpec("mock"), examples=4, seed=3, record=True).cassette().save(tmp_path / "c.json")
    code, _, err = cli(capsys, "--target", f"replay:{tmp_path / 'c.json'}", "--seed", "4")
    assert 2 == code and "recorded with --seed 3" in err
    code, out, _ = cli(capsys, "--target", f"replay:{tmp_path / 'c.json'}")
    assert 0 == code and "aliyun (" in out and "novita (" not in out


def test_a_file_that_is_not_a_cassette_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(ValueError, match="not an sdcontracts cassette"):
        Cassette.load(tmp_path / "x.json")
    with pytest.raises(ValueError, match="no cassette at"):
        target_from(f"replay:{tmp_path / 'missing.json'}")


# -- targets --------------------------------------------------------------------------------------


def test_live_target_reads_credentials_and_payload_overrides_from_the_environment() -> None:
    env = {
        "SDCONTRACTS_NOVITA_API_KEY": "k",
        "SDCONTRACTS_NOVITA_PAYLOAD": '{"request": {"model_name": "real.safetensors"}}',
    }
    target = live_target(env, budget=3)
    assert {"api_key": "k"} == target.credentials["novita"]
    assert {"request": {"model_name": "real.safetensors"}} == target.payload_overrides["novita"]
    assert "SDCONTRACTS_TENSORART_TOKEN" in target.skipped["tensorart"]
    with pytest.raises(ValueError, match="SDCONTRACTS_NOVITA_PAYLOAD must be a JSON object"):
        live_target({"SDCONTRACTS_NOVITA_API_KEY": "k", "SDCONTRACTS_NOVITA_PAYLOAD": "[1]"})


def test_a_live_payload_override_is_merged_into_every_valid_request() -> None:
    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())
    target = Target("live", False, {"novita": mock.credentials("novita")}, {"novita": None}, transport=mock.transport())
    target.payload_overrides["novita"] = {"request": {"model_name": "real_model.safetensors"}}
    result = run(["novita"], target, examples=10, seed=1)
    assert result.ok, table(result)
    bodies = [e.body for e in mock.journal.entries("novita", "img2img") if e.body and e.status == 200]
    assert bodies and all("real_model.safetensors" == b["request"]["model_name"] for b in bodies)


def test_requests_carry_fresh_ids_so_a_rerun_is_not_deduplicated() -> None:
    target = mock_target()
    run(["tensorart"], target, examples=6, seed=1)
    run(["tensorart"], target, examples=6, seed=1)
    mock = target.transport.answer.__self__  # type: ignore[union-attr]
    ids = [e.body.get("requestId", e.body.get("request_id")) for e in mock.journal.entries("tensorart", "img2img")
           if e.status == 200]  # fmt: skip
    assert len(ids) == len(set(ids)) == 6


def test_a_transport_error_is_a_disagreement_not_a_crash() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    target = Target("nowhere", True, {"aliyun": {"app_key": "a", "app_secret": "b"}}, {"aliyun": None},
                    transport=httpx.MockTransport(refuse))  # fmt: skip
    result = run(["aliyun"], target, examples=4, seed=1)
    assert 4 == len(result.disagreements())
    assert all("ConnectError" in v.problems[0] or "refused" in v.problems[0] for v in result.disagreements())


def test_reports_render_a_skipped_provider_with_its_reason() -> None:
    target = live_target({}, budget=1)
    result = run(["picpik"], target, examples=2, seed=0)
    assert "picpik (" in table(result) and "skipped, no live credentials" in table(result)
    assert "Skipped: no live credentials" in markdown(result)
    assert ET.fromstring(junit(result)).find("testsuite/testcase/skipped") is not None


def test_seeded_cases_do_not_depend_on_the_modules_the_process_loaded(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hypothesis borrows literals from a process's own modules; the cases of a seed ignore them, so
    the same seed gives the same cases in a test suite, an application and a fresh process."""
    import importlib
    import sys

    from sdcontracts.conformance._cases import valid_payloads

    before = valid_payloads("zhiqite", "img2img.request", 24, 2026)
    literals = [f"borrowed-{i}" for i in range(200)] + [str(10**k) for k in range(1, 12)]
    source = "VALUES = [" + ", ".join([*map(repr, literals), *(str(n) for n in range(-50, 5000, 7))]) + "]\n"
    (tmp_path / "app_constants_module.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("app_constants_module")
    try:
        after = valid_payloads("zhiqite", "img2img.request", 24, 2026)
    finally:
        sys.modules.pop("app_constants_module", None)
    assert before == after
