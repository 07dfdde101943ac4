"""Conformance within a budget and before sending: the plan, rules first, a verdict that names what
was not judged, budget-capped recordings that replay to the same table, unreachable targets and
unwritable outputs refused before any request, and progress in a CI log."""

from __future__ import annotations

import io
import re
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from sdcontracts.mock import Mock, MockConfig
from sdcontracts.mock.asgi import BackgroundServer

from sdcontracts._cli import main
from sdcontracts.conformance import (
    VALID,
    Plan,
    TargetSpec,
    TargetUnreachable,
    mock_target,
    provider_seed,
    replay_target,
    run,
    url_target,
)
from sdcontracts.conformance._budget import order, plan_for
from sdcontracts.conformance._cases import generate_cases
from sdcontracts.conformance._command import _Progress
from sdcontracts.conformance._report import junit, markdown, rows, table
from sdcontracts.strategies import rule_ids


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["conformance", "--no-progress", "--workers", "1", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def provider_requests(mock: Mock) -> int:
    """Requests the mock received for any provider (its own /_mock/ endpoints not counted)."""
    return sum(1 for e in mock.journal.entries() if e.provider != "mock")


def without_header(text: str) -> list[str]:
    """A table without the line naming the target and the "rerun with" line, which name the target."""
    return [line for line in text.splitlines()[1:] if not line.startswith("rerun with:")]


# -- the plan ---------------------------------------------------------------------------------------


def test_a_plan_puts_one_lifecycle_first_then_as_many_rules_as_the_budget_reaches() -> None:
    """Budget 20 on the in-process mock: a lifecycle is submit, 3 status queries and a download (plus
    Tensor.Art's uploads); the rules after it take one request each, in rule order, and the plan names
    the ones it cannot reach."""
    plan = plan_for("tensorart", 100, provider_seed("tensorart", 3), mock_target(budget=20))
    rules = rule_ids("tensorart")
    reach = 20 - plan.lifecycle
    assert (plan.lifecycle, plan.polls) == (5 + plan.preparation, 3)
    assert (True, tuple(rules[:reach]), tuple(rules[reach:])) == (plan.lifecycle_first, plan.reached, plan.unreached)
    assert plan.describe().endswith(f"not reached: {', '.join(rules[reach:])}")


def test_a_budget_below_one_lifecycle_sends_the_rules_first() -> None:
    """With 4 requests a 5-request lifecycle cannot finish: the budget goes to four rules instead."""
    plan = plan_for("novita", 100, 1, mock_target(budget=4))
    cases = order(list(generate_cases("novita", 40, 1)), plan)
    assert (False, tuple(rule_ids("novita")[:4])) == (plan.lifecycle_first, plan.reached)
    assert rule_ids("novita") == [c.rule for c in cases[:14]]


def test_without_a_budget_cases_keep_their_generated_order() -> None:
    cases = list(generate_cases("zhiqite", 20, 2))
    assert cases == order(cases, plan_for("zhiqite", 20, 2, mock_target()))


# -- budgeted runs ----------------------------------------------------------------------------------


def test_a_budgeted_run_sends_a_lifecycle_then_one_case_per_rule_and_judges_every_rule() -> None:
    """Novita's 14 rules fit in 20 requests after one lifecycle: every rule is judged, the rest of the
    budget starts another valid case, and the run is conforming although 85 cases were never sent."""
    result = run(["novita"], mock_target(budget=20), examples=100, seed=2)
    outcome = result.providers["novita"]
    sent = [v.case.rule for v in outcome.verdicts]
    assert [VALID, *rule_ids("novita")] == sent
    assert (20, True, {}, "conforming") == (outcome.requests, outcome.budget_spent, result.unjudged(), result.verdict)


def test_a_budget_too_small_for_every_rule_is_inconclusive_naming_the_rules_it_left(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The command prints the plan before the run, a row for every rule saying whether it was judged,
    and an INCONCLUSIVE verdict naming the unjudged rules and the budget that would judge them: exit 3."""
    code, out, _ = cli(capsys, "--provider", "tensorart", "--budget", "20", "--seed", "3")
    plan_line = next(line for line in out.splitlines() if line.startswith("  tensorart  1 valid lifecycle"))
    unreached = plan_line.partition("not reached: ")[2].split(", ")
    spent = [line.split()[0] for line in out.splitlines() if line.endswith("no: budget spent")]
    assert 3 == code
    assert out.index("Budget: 20 requests per provider; the plan:") < out.index("sdcontracts conformance: in-process")
    assert unreached == spent and len(spent) >= 1
    judged = [line.split()[0] for line in out.splitlines() if line.endswith("  yes")]
    assert sorted([VALID, *rule_ids("tensorart")]) == sorted(judged + spent)
    lifecycle = int(re.search(r"~(\d+) requests", plan_line).group(1))  # type: ignore[union-attr]
    assert (
        f"INCONCLUSIVE: the {len(judged)} cases sent agree, but not enough budget to judge rules "
        f"{', '.join(f'tensorart:{rule}' for rule in spent)} (--budget {lifecycle + 19} would pay for one "
        "lifecycle and every rule)"
    ) in out
    assert "rerun with: sdcontracts conformance --provider tensorart --target mock --budget 20 --examples 100" in out


def test_reports_mark_the_rules_a_budget_left_unjudged() -> None:
    """Markdown has a judged column and the plan; JUnit skips each unjudged rule with the reason."""
    result = run(["tensorart"], mock_target(budget=20), examples=100, seed=3)
    unjudged = result.unjudged()["tensorart"]
    suite = ET.fromstring(junit(result)).find("testsuite")
    assert suite is not None
    skipped = {
        c.get("name"): c.find("skipped").get("message") for c in suite.iter("testcase") if c.find("skipped") is not None
    }  # type: ignore[union-attr]
    assert {rule: "not judged: budget spent" for rule in unjudged} == skipped
    assert str(len(unjudged)) == suite.get("skipped")
    text = markdown(result)
    assert "- verdict: **inconclusive**" in text and "| judged |" in text and "Budget 20 requests:" in text
    assert all(f"| `{rule}` | 0 | - | - | - | no: budget spent |" in text for rule in unjudged)


# -- recordings of budgeted runs ------------------------------------------------------------------------


def test_a_budget_capped_recording_replays_to_the_same_table(tmp_path: Path) -> None:
    """The replay stops where the budget stopped the recording: same cases, same rows, same verdict,
    instead of running out of recorded exchanges."""
    recorded = run(["tensorart", "zhiqite"], TargetSpec("mock", budget=20), examples=100, seed=4, record=True,
                   workers=1)  # fmt: skip
    path = tmp_path / "run.json"
    recorded.cassette().save(path)
    replayed = run(["tensorart", "zhiqite"], replay_target(path), examples=100, seed=4)
    assert "inconclusive" == recorded.verdict == replayed.verdict
    assert without_header(table(recorded)) == without_header(table(replayed))
    assert [rows(o) for o in recorded.providers.values()] == [rows(o) for o in replayed.providers.values()]


@pytest.fixture
def mock_serve() -> Iterator[str]:
    """`sdcontracts mock serve` in its own process, on a free port; stopped after the test."""
    script = Path(sys.executable).parent / "sdcontracts"
    command = [str(script), "mock", "serve", "--port", "0", "--lifecycle", "steps"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            first = server.stdout.readline()
            found = re.search(r"http://127\.0\.0\.1:\d+", first)
            assert found, first
            yield found.group(0)
        finally:
            server.terminate()
            server.communicate(timeout=10)


def test_a_live_run_against_mock_serve_within_budget_reports_every_rule_and_replays_the_same(
    mock_serve: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--target live --budget 20`, its endpoints pointed at `sdcontracts mock serve`: every rule of
    each provider has a row, judged ("yes") or not ("no: budget spent"), and replaying the recording
    prints the same table and verdict."""
    credentials = {
        "NOVITA_API_KEY": "sk_mock_novita_key", "NOVITA_BASE_URL": mock_serve,
        "TENSORART_TOKEN": "ta_mock_token", "TENSORART_BASE_URL": mock_serve,
    }  # fmt: skip
    for name, value in credentials.items():
        monkeypatch.setenv(f"SDCONTRACTS_{name}", value)
    cassette = tmp_path / "live.json"
    argv = ["--provider", "novita", "tensorart", "--workers", "2", "--seed", "5"]
    code, live, _ = cli(capsys, "--target", "live", "--budget", "20", "--record", str(cassette), *argv)
    replay_code, replayed, _ = cli(capsys, "--target", f"replay:{cassette}", *argv)
    for provider in ("novita", "tensorart"):
        section = live[live.index(f"\n{provider} (") :].split("\n\n")[0]
        table_rows = [
            line
            for line in section.splitlines()
            if line.startswith("  ") and line.split()[0] not in ("rule", "stopped")
        ]
        judged = {line.split()[0]: line.rsplit("  ", 1)[1] for line in table_rows}
        assert {VALID, *rule_ids(provider)} == set(judged), section
        assert set(judged.values()) <= {"yes", "no: budget spent"}
        assert "20 requests (budget 20)" in section
    assert code == replay_code and code in (0, 3)
    assert without_header(live.partition("\n\n")[2])[:-1] == without_header(replayed.partition("\n\n")[2])


# -- nothing is sent to a target that cannot answer, nor when the results could not be written --------


def test_an_unreachable_mock_url_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    code, out, err = cli(capsys, "--target", url, "--failures", str(tmp_path / "failures"))
    assert (2, "") == (code, out)
    assert [f"sdcontracts conformance: error: cannot connect to {url}: connection refused; is `sdcontracts mock "
            "serve` running there?"] == err.splitlines()  # fmt: skip
    assert not (tmp_path / "failures").exists()


def test_a_url_without_a_host_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "--target", "http://")
    assert 2 == code and "'http://' has no host" in err and len(err.splitlines()) == 1


def test_a_live_endpoint_that_refuses_connections_stops_the_run_before_any_provider_is_sent_to(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Novita is reachable, Zhiqite is not: exit 2 naming Zhiqite, and Novita received nothing."""
    mock = Mock(MockConfig(lifecycle="steps"))
    with BackgroundServer(mock) as url:
        dead = f"http://127.0.0.1:{closed_port()}"
        for name, value in {"NOVITA_API_KEY": "sk_mock_novita_key", "NOVITA_BASE_URL": url, "ZHIQITE_ACCESS_KEY_ID": "zq_mock_id",
                            "ZHIQITE_ACCESS_KEY_SECRET": "zq_mock_secret", "ZHIQITE_BASE_URL": dead}.items():  # fmt: skip
            monkeypatch.setenv(f"SDCONTRACTS_{name}", value)
        code, out, err = cli(capsys, "--target", "live", "--provider", "novita", "zhiqite")
    assert (2, "", 0) == (code, out, provider_requests(mock))
    assert [f"sdcontracts conformance: error: cannot connect to {dead} (zhiqite): connection refused; nothing was "
            "sent"] == err.splitlines()  # fmt: skip


def test_a_url_that_is_not_the_mock_is_refused_before_sending() -> None:
    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(
            TargetUnreachable, match=r"does not answer as `sdcontracts mock serve` \(GET /_mock/health: HTTP 404\)"
        ):
            run(["novita"], TargetSpec(url), examples=2, seed=1)
    finally:
        server.shutdown()
        server.server_close()


def test_a_served_mock_tells_the_run_its_providers_and_lifecycle() -> None:
    """Providers `mock serve --provider` leaves out are skipped; a steps lifecycle plans 3 status queries."""
    with BackgroundServer(Mock(MockConfig(providers=("novita",), lifecycle="steps"))) as url:
        target = url_target(url, budget=20)
        target.preflight(["novita", "aliyun"])
    assert (3, {"novita"}) == (target.polls, {p for p in target.base_urls if p not in target.skipped})
    assert f"the mock at {url} does not serve it" == target.skipped["aliyun"]


OUTPUTS = [
    ("--report", "no-such-dir/report.md", "cannot write there (No such file or directory)"),
    ("--junit", "no-such-dir/report.xml", "cannot write there (No such file or directory)"),
    ("--record", "no-such-dir/run.json", "cannot write there (No such file or directory)"),
    ("--report", ".", "is a directory, not a file"),
    ("--failures", "a-file/cases", "is not a directory"),
]


@pytest.mark.parametrize(("option", "path", "problem"), OUTPUTS)
def test_an_output_that_cannot_be_written_is_refused_before_anything_is_sent(
    option: str, path: str, problem: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    mock = Mock(MockConfig(lifecycle="steps"))
    with BackgroundServer(mock) as url:
        code, out, err = cli(capsys, "--target", url, "--provider", "aliyun", "--examples", "4",
                             option, str(tmp_path / path))  # fmt: skip
    assert (2, "", 0) == (code, out, provider_requests(mock))
    assert 1 == len(err.splitlines()) and f"error: {option} {tmp_path / path}" in err and problem in err


def test_an_output_checked_but_not_yet_there_is_not_left_behind(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The check creates no file: a usage error later leaves the directory as it was."""
    code, _, _ = cli(capsys, "--report", str(tmp_path / "r.md"), "--unenforced", "novita:no-such-rule")
    assert (2, []) == (code, list(tmp_path.iterdir()))


# -- progress in a CI log ---------------------------------------------------------------------------


def test_piped_progress_prints_a_line_every_ten_seconds_while_sending() -> None:
    """No terminal: milestones, and a line per provider when 10 s have passed since its last one."""
    now = [0.0]
    stream = io.StringIO()
    progress = _Progress(stream, ["novita"], 10, clock=lambda: now[0], every=10.0)
    events = [(0, "generating", 0, 0), (1, "sending", 0, 0), (5, "sending", 1, 6), (11, "sending", 2, 7),
              (15, "sending", 3, 8), (22, "sending", 4, 13), (23, "done", 10, 20)]  # fmt: skip
    for when, phase, done, requests in events:
        now[0] = when
        progress("novita", phase, done, 10, requests)
    assert [
        "novita: generating", "novita: sending", "novita: 2/10 cases, 7 requests sent",
        "novita: 4/10 cases, 13 requests sent", "novita: done",
    ] == stream.getvalue().splitlines()  # fmt: skip


def test_plans_survive_a_round_trip_through_worker_processes() -> None:
    """Plans go to the worker processes: the ones they used are the ones announced."""
    announced: dict[str, Plan] = {}
    result = run(["aliyun", "zhiqite"], TargetSpec("mock", budget=12), examples=20, seed=3, workers=2,
                 announce=announced.update)  # fmt: skip
    assert announced == {p: o.plan for p, o in result.providers.items()}
    assert all(o.requests == 12 for o in result.providers.values())


def test_the_readme_and_help_describe_every_exit_status_the_command_has(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's exit table and `conformance --help` list the statuses the code returns."""
    from sdcontracts.conformance import _command

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    codes = {_command.EXIT_OK, _command.EXIT_DISAGREE, _command.EXIT_USAGE, _command.EXIT_INCONCLUSIVE}
    with pytest.raises(SystemExit):
        main(["conformance", "--help"])
    helped = {int(m) for m in re.findall(r"^  (\d)  [A-Za-z]", capsys.readouterr().out, re.M)}
    assert codes == {int(m) for m in re.findall(r"^\| (\d) \| ", readme, re.M)} == helped == {0, 1, 2, 3}
