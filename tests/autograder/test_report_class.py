"""The class report from hand-written result records: numbers, plots, tables, escaping, links."""

from __future__ import annotations

import base64
import html
import re

import pytest

from autograder import feedback as fb
from autograder import report as rp
from tests.autograder.test_feedback_html import LESSON, make_class, make_record, write_class


def test_summary_counts_and_scores():
    s = rp.summarize(make_class())
    assert (s.submissions, s.graded, s.rejected, s.timed_out, s.flagged) == (7, 5, 2, 1, 1)
    assert s.max_score == 5.0 and s.full_marks == 1
    # graded scores: 5, 2, 1, 3, 0
    assert s.mean == pytest.approx(11 / 5) and s.median == 2.0
    empty = rp.summarize([])
    assert (empty.submissions, empty.mean, empty.median) == (0, 0.0, 0.0)


def test_check_stats_per_check_in_notebook_order():
    stats = {c.grade_id: c for c in rp.check_stats(make_class())}
    assert list(stats) == ["sigmoid-check", "tanh-check", "relu-check"]
    sig = stats["sigmoid-check"]
    assert sig.graded == 5
    assert sig.passed == pytest.approx(2 / 5)          # s001, s002
    assert sig.visible_passed == pytest.approx(3 / 5)  # + s003, whose hidden checks failed
    assert sig.mean_points == pytest.approx(4 / 5)
    assert stats["relu-check"].passed == pytest.approx(3 / 5)


def test_failure_messages_group_by_check_and_shape():
    assert rp.normalize_message("`f([1., -2.5e-3])` wrong: expected 0.5, got 7\n  Hint: x") == \
        "wrong: expected #, got #"
    assert rp.normalize_message("tanh: check 4 of 4 failed.\n  `tanh([-800.,  800.])` [large inputs] overflow\n"
                                "  Hint: use exp(-2|x|)") == "[large inputs] overflow"
    assert rp.normalize_message("") == ""
    records = [make_record(f"s{i}", {}, messages={"sigmoid-check": f"`sigmoid` is wrong: expected {i}.5, got {i}"})
               for i in range(4)]
    top = rp.failure_counts(records)
    assert top[0] == ("sigmoid-check", "`sigmoid` is wrong: expected #, got #", 4)  # code spans kept
    assert {gid for gid, _, _ in top} == {"sigmoid-check", "tanh-check", "relu-check"}
    assert rp.failure_counts(records, top=1) == top[:1]


def test_flag_counts_once_per_submission():
    records = [make_record("a", flags=["x", "x", "y"]), make_record("b", flags=["x"])]
    assert rp.flag_counts(records) == [("x", 2), ("y", 1)]
    per_check = [make_record("c", flags=["tanh-check: changed numpy.allclose", "relu-check: changed numpy.allclose"])]
    assert rp.flag_counts(per_check) == [("changed numpy.allclose", 1)]


def test_page_has_five_titled_png_plots_and_every_table():
    page = rp.render_report(make_class(), LESSON)
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', page)
    assert [alt for _, alt in images] == ["Score distribution", "Pass rate per check",
                                          "Most frequent failure messages", "Time per submission", "Flags"]
    for data, _ in images:
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    for heading in ("Where the class struggled", "Most frequent failure messages", "Flags", "Rejected submissions",
                    "Slowest submissions", "Every submission"):
        assert heading in text
    assert "s006 the file is empty" in text                       # rejected, with the reason
    assert "s004 called the reference implementation in 01.sigmoid" in text   # flagged
    assert "sigmoid-check 2 5 40% 60% 20% 0.80" in text            # item table row (20%: passed visible only)
    assert "s005 30.0 timed out graded" in text                    # slowest first, marked


def item_class() -> list:
    """Six graded students: sigmoid and tanh go with the rest of the lesson, relu is passed by the weakest."""
    hidden = ("sigmoid-check",)
    return [make_record("s1"),
            make_record("s2", {"sigmoid-check": True, "tanh-check": True}),
            make_record("s3", {"sigmoid-check": True, "tanh-check": True}),
            make_record("s4", {"relu-check": True}, hidden_failed=hidden),
            make_record("s5", {"relu-check": True}, hidden_failed=hidden),
            make_record("s6", {}, hidden_failed=hidden),
            make_record("s7", status="rejected: the file is empty")]


def test_item_analysis_discrimination_reliability_and_notes():
    stats = {c.grade_id: c for c in rp.check_stats(item_class())}
    # relu points 1,0,0,1,1,0 against the other checks' points 4,4,4,0,0,0: correlation -1/3
    assert stats["relu-check"].discrimination == pytest.approx(-1 / 3)
    # sigmoid points 2,2,2,0,0,0 against 3,2,2,1,1,0: covariance 5/6, standard deviations 1 and sqrt(5.5/6)
    assert stats["sigmoid-check"].discrimination == pytest.approx((5 / 6) / (5.5 / 6) ** 0.5)
    assert "fail it more often" in stats["relu-check"].note
    assert stats["sigmoid-check"].visible_only == pytest.approx(3 / 6)
    assert "50% pass the visible checks but fail hidden ones" in stats["sigmoid-check"].note
    assert stats["tanh-check"].note == ""
    # item variances 1 + 1 + 0.25, total scores 5,4,4,1,1,0 (variance 21.5/6): alpha = 3/2 (1 - 2.25 / (21.5/6))
    assert rp.reliability(item_class()) == pytest.approx(1.5 * (1 - 2.25 / (21.5 / 6)))
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rp.render_report(item_class(), LESSON))).split())
    assert "relu-check 1 6 50% 50% 0% 0.50 -0.33 students who did well elsewhere" in text
    assert "Reliability of the lesson's checks (Cronbach's alpha): 0.56" in text


def test_item_analysis_draws_no_conclusion_from_a_few_students_or_no_spread():
    few = item_class()[:4]
    assert all(c.discrimination is None and c.note == "" for c in rp.check_stats(few))
    assert rp.reliability(few) is None
    same = [make_record(f"s{i}") for i in range(6)]   # everyone full marks: no spread, nothing to correlate
    assert all(c.discrimination is None for c in rp.check_stats(same)) and rp.reliability(same) is None
    nobody = [make_record(f"s{i}", {"sigmoid-check": True, "tanh-check": i % 2 == 0}) for i in range(6)]
    assert "no one earned it" in {c.grade_id: c for c in rp.check_stats(nobody)}["relu-check"].note
    assert "not computed" in rp.render_report(few, LESSON)


def test_empty_lesson_still_renders_every_plot():
    page = rp.render_report([make_record("s1", status="rejected: the file is empty")], LESSON)
    assert page.count("<img ") == 5
    assert "no graded submissions" in html.unescape(page)


def test_escaped_and_without_scripts():
    evil = "<script>alert(1)</script>"
    records = [make_record(f"s{evil}", {}, flags=[evil], messages={"sigmoid-check": evil}),
               make_record("r", status=f"rejected: {evil}")]
    page = rp.render_report(records, LESSON)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page


def test_write_report_links_feedback_and_redacts_hidden_inputs(tmp_path):
    from dlkit.checks.core import get

    hidden = next(c for c in get("01.sigmoid").cases(hidden=True) if "array of shape" not in c.describe())
    records = make_class() + [make_record("s008", {}, messages={"sigmoid-check": f"`sigmoid({hidden.describe()})`"})]
    write_class(tmp_path, records)
    fb.write_feedback(tmp_path, LESSON)
    path = rp.write_report(tmp_path, LESSON)
    assert path == tmp_path / f"report-{LESSON}.html"
    page = path.read_text()
    links = re.findall(r'<a href="([^"]+)">', page)
    assert len(links) == len(records)
    assert all((tmp_path / link).is_file() for link in links)
    assert hidden.describe() not in html.unescape(page)
    with pytest.raises(FileNotFoundError, match="grade first"):
        rp.write_report(tmp_path, "02-losses")


def test_command_line_feedback_and_report(tmp_path, capsys):
    from autograder.__main__ import main

    write_class(tmp_path)
    assert main(["feedback", "01", "--workspace", str(tmp_path)]) == 0
    assert main(["report", "01-neurons", "--workspace", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "wrote 7 feedback page(s)" in out and f"report-{LESSON}.html" in out
    assert (tmp_path / f"report-{LESSON}.html").is_file()
    assert main(["report", "01", "--workspace", str(tmp_path / "empty")]) == 1
    assert "grade first" in capsys.readouterr().err
