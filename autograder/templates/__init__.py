"""HTML templates of the pages instructors and students read: per-student feedback and the class report.

The templates live here as Python strings (so they ship with the package) and
render with Jinja2 with autoescaping on: every value from a submission (a
student id, an error message, printed output) is escaped, so a ``<script>``
in it is shown as text and never runs. Pages are self-contained: inline CSS,
plots embedded as base64 PNGs, no scripts, no external links.

Example::

    >>> render("page.html", title="<b>", body_html="")[:15]
    '<!DOCTYPE html>'
"""

from __future__ import annotations

from jinja2 import DictLoader, Environment, StrictUndefined

STYLE = """
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328;
       max-width: 1100px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 10px;
     border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.sub { color: var(--muted); margin: 0 0 18px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card .v { font-size: 24px; font-weight: 600; } .card .k { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; font-size: 13px; } td.num, th.num { text-align: right; white-space: nowrap; }
.badge { display: inline-block; border-radius: 10px; padding: 0 9px; font-size: 12.5px; font-weight: 600; color: #fff; }
.badge.ok { background: var(--ok); } .badge.bad { background: var(--bad); } .badge.warn { background: var(--warn); }
.badge.muted { background: var(--muted); }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 4px 0;
      white-space: pre-wrap; word-break: break-word; font-size: 13px; }
.box { border-radius: 8px; padding: 12px 16px; margin: 14px 0; border: 1px solid; }
.box.bad { border-color: var(--bad); background: #ffebe9; } .box.warn { border-color: var(--warn); background: #fff8c5; }
.box.ok { border-color: var(--ok); background: #dafbe1; }
.bar { height: 10px; background: #eaeef2; border-radius: 5px; overflow: hidden; margin-top: 6px; }
.bar > span { display: block; height: 100%; background: var(--ok); }
figure { margin: 10px 0 24px; } figure img { max-width: 100%; border: 1px solid var(--line); border-radius: 6px; }
figcaption { color: var(--muted); font-size: 13px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 8px 24px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; }
.muted { color: var(--muted); }
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ style | safe }}</style>
</head><body>
{{ body_html | safe }}
</body></html>
"""

FEEDBACK = """
<h1>{{ r.lesson }}: feedback for {{ r.student_id }}</h1>
<p class="sub">Graded {{ r.graded_at or "(time not recorded)" }}{% if r.seconds %} in {{ "%.1f" | format(r.seconds) }} s{% endif %}.</p>
{% if r.rejected %}
<div class="box bad"><strong>Your submission could not be graded.</strong><br>{{ r.reason }}
<br><span class="muted">{{ advice }}</span></div>
{% else %}
<div class="cards">
 <div class="card"><div class="v">{{ fmt(r.score) }} / {{ fmt(r.max_score) }}</div><div class="k">points</div>
  <div class="bar"><span style="width: {{ percent }}%"></span></div></div>
 <div class="card"><div class="v">{{ passed }} / {{ r.checks | length }}</div><div class="k">checks passed</div></div>
</div>
{% if r.timed_out %}<div class="box warn"><strong>Time limit reached.</strong> Your notebook did not finish within
the time limit, so checks that had not run earn no points. Look for a loop that never ends or a very slow cell.</div>{% endif %}
<h2>Checks</h2>
<table>
<tr><th>exercise</th><th>result</th><th class="num">points</th><th>visible checks</th><th>hidden checks</th><th>what to look at</th></tr>
{% for c in checks %}
<tr><td><code>{{ c.grade_id | replace("-check", "") }}</code></td>
<td>{% if c.passed %}<span class="badge ok">passed</span>{% else %}<span class="badge bad">failed</span>{% endif %}</td>
<td class="num">{{ fmt(c.points) }} / {{ fmt(c.max_points) }}</td>
<td>{{ "passed" if c.visible_passed else "failed" }}</td>
<td>{{ "passed" if c.hidden_passed else ("not run" if not c.visible_passed else "failed") }}</td>
<td>{% if c.message and c.message != "ok" %}<pre>{{ c.message }}</pre>{% else %}<span class="muted">nothing: well done</span>{% endif %}</td></tr>
{% endfor %}
</table>
<p class="muted">Hidden checks try your functions on inputs that are not shown to you (other shapes, extreme values,
float32). When only they fail, test your code on such inputs yourself.</p>
{% endif %}
{% if r.cell_notes %}
<h2>Cells that did not run</h2>
<div class="box bad"><ul style="margin: 0">{% for x in r.cell_notes %}<li>{{ x }}</li>{% endfor %}</ul></div>
{% endif %}
{% if r.repairs %}
<h2>Changes made to your notebook before grading</h2>
<p class="muted">Cells that must not be edited were restored from the original; your answers were kept.</p>
<ul>{% for x in r.repairs %}<li>{{ x }}</li>{% endfor %}</ul>
{% endif %}
{% if r.flags %}
<h2>Flags</h2>
<div class="box warn"><ul style="margin: 0">{% for x in r.flags %}<li>{{ x }}</li>{% endfor %}</ul></div>
<p class="muted">Flagged behaviour earns no points for the checks it affects; your instructor sees these flags.</p>
{% endif %}
<footer>Submission {{ r.submission_sha256[:12] or "(no checksum)" }} · grader {{ r.grader_version or "?" }} ·
dlkit autograder</footer>
"""

REPORT = """
<h1>{{ lesson }}: class report</h1>
<p class="sub">{{ s.submissions }} submission(s) · generated {{ generated }}</p>
<div class="cards">
 <div class="card"><div class="v">{{ s.graded }}</div><div class="k">graded</div></div>
 <div class="card"><div class="v">{{ s.rejected }}</div><div class="k">rejected</div></div>
 <div class="card"><div class="v">{{ s.timed_out }}</div><div class="k">timed out</div></div>
 <div class="card"><div class="v">{{ s.flagged }}</div><div class="k">flagged</div></div>
 <div class="card"><div class="v">{{ "%.1f" | format(s.mean) }} / {{ fmt(s.max_score) }}</div><div class="k">mean score
  (median {{ fmt(s.median) }})</div></div>
 <div class="card"><div class="v">{{ s.full_marks }}</div><div class="k">full marks</div></div>
</div>

<h2>Where the class struggled</h2>
<table>
<tr><th>check</th><th class="num">points</th><th class="num">graded</th><th class="num">earned the points</th>
<th class="num">passed visible checks</th><th class="num">passed visible, failed hidden</th>
<th class="num">mean points</th><th class="num">discrimination</th><th>worth a look</th></tr>
{% for c in stats %}
<tr><td><code>{{ c.grade_id }}</code></td><td class="num">{{ fmt(c.max_points) }}</td><td class="num">{{ c.graded }}</td>
<td class="num">{{ pct(c.passed) }}</td><td class="num">{{ pct(c.visible_passed) }}</td>
<td class="num">{{ pct(c.visible_only) }}</td><td class="num">{{ "%.2f" | format(c.mean_points) }}</td>
<td class="num">{% if c.discrimination is none %}<span class="muted">-</span>{% else %}{{ "%.2f" | format(c.discrimination) }}{% endif %}</td>
<td>{{ c.note }}</td></tr>
{% else %}<tr><td colspan="9" class="muted">no graded submissions</td></tr>
{% endfor %}
</table>
<p class="muted">Item analysis. <em>Discrimination</em>: how a check's points go with the points on the lesson's
other checks (correlation, -1 to 1; 0.3 and above is usual for a sound check). <em>Reliability</em> of the lesson's
checks (Cronbach's alpha): {% if alpha is none %}not computed (needs {{ min_n }} graded submissions with different
scores){% else %}<strong>{{ "%.2f" | format(alpha) }}</strong>{% endif %}. With under {{ min_n }} graded submissions
no check is singled out.</p>

<div class="grid">
{% for title, caption, png in plots %}
<figure><img src="data:image/png;base64,{{ png }}" alt="{{ title }}"><figcaption><strong>{{ title }}.</strong>
{{ caption }}</figcaption></figure>
{% endfor %}
</div>

<h2>Most frequent failure messages</h2>
<table><tr><th>check</th><th>message (numbers masked)</th><th class="num">submissions</th></tr>
{% for gid, msg, n in failures %}
<tr><td><code>{{ gid }}</code></td><td><pre>{{ msg }}</pre></td><td class="num">{{ n }}</td></tr>
{% else %}<tr><td colspan="3" class="muted">no failed checks</td></tr>
{% endfor %}
</table>

<h2>Flags</h2>
<table><tr><th>student</th><th>flags</th></tr>
{% for r in flagged %}
<tr><td>{{ r.student_id }}</td><td><ul style="margin: 0">{% for f in r.flags %}<li>{{ f }}</li>{% endfor %}</ul></td></tr>
{% else %}<tr><td colspan="2" class="muted">no flags raised</td></tr>
{% endfor %}
</table>

<h2>Rejected submissions</h2>
<table><tr><th>student</th><th>reason</th></tr>
{% for r in rejected %}
<tr><td>{{ r.student_id }}</td><td>{{ r.reason }}</td></tr>
{% else %}<tr><td colspan="2" class="muted">none</td></tr>
{% endfor %}
</table>

<h2>Slowest submissions</h2>
<table><tr><th>student</th><th class="num">seconds</th><th>status</th></tr>
{% for r in slowest %}
<tr><td>{{ r.student_id }}</td><td class="num">{{ "%.1f" | format(r.seconds) }}</td>
<td>{% if r.timed_out %}<span class="badge bad">timed out</span> {% endif %}{{ r.status }}</td></tr>
{% endfor %}
</table>

<h2>Every submission</h2>
<table><tr><th>student</th><th>status</th><th class="num">score</th><th class="num">seconds</th><th>repairs</th>
<th>flags</th></tr>
{% for row in students %}{% set r = row.r %}
<tr><td>{% if row.link %}<a href="{{ row.link }}">{{ r.student_id }}</a>{% else %}{{ r.student_id }}{% endif %}</td>
<td>{% if r.graded %}<span class="badge ok">graded</span>{% else %}<span class="badge bad">rejected</span>
<span class="muted">{{ r.reason }}</span>{% endif %}</td>
<td class="num">{% if r.graded %}{{ fmt(r.score) }} / {{ fmt(r.max_score) }}{% else %}-{% endif %}</td>
<td class="num">{{ "%.1f" | format(r.seconds) }}</td><td class="num">{{ r.repairs | length or "" }}</td>
<td class="num">{{ r.flags | length or "" }}</td></tr>
{% endfor %}
</table>
<footer>dlkit autograder · one page, no scripts: plots are embedded images.</footer>
"""

TEMPLATES = {"page.html": PAGE, "feedback.html": FEEDBACK, "report.html": REPORT}

_ENV = Environment(loader=DictLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)


def render(name: str, **context) -> str:
    """Render a template by name; ``page.html`` wraps ``body_html`` (already rendered) in the shared layout."""
    return _ENV.get_template(name).render(style=STYLE, **context)


def render_page(title: str, body_template: str, **context) -> str:
    """A complete, self-contained HTML page: ``body_template`` rendered inside the shared layout."""
    return render("page.html", title=title, body_html=render(body_template, **context))
