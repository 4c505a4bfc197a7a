import { targetRef, type VerdictStatus } from '../model/index.js';
import { signerLabel, sortResults, summarize, targetVerdict, type ScanReport } from '../scan/report-model.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { groupKey, groupResults, shortName } from './pretty.js';

/**
 * One self-contained HTML file: summary cards, inline SVG charts (signed/unsigned per repository or
 * directory, targets per signer) and a table filterable by text and status (inline script). No external
 * asset is loaded; the Content-Security-Policy forbids it.
 */
export function renderHtml(report: ScanReport): string {
  const summary = summarize(report);
  const results = sortResults(report.results);
  const groups = [...groupResults(results)].map(([name, rs]) => ({
    name,
    signed: rs.filter((r) => r.status === 'signed').length,
    unsigned: rs.filter((r) => r.status === 'unsigned').length,
    unknown: rs.filter((r) => r.status === 'unknown').length,
  }));
  const groupWord = results.some((r) => r.target.kind === 'image') ? 'repository' : 'directory';
  const cards: Array<[string, string, number]> = [
    ['targets', 'targets', summary.targets],
    ['signed', 'signed', summary.signed],
    ['unsigned', 'unsigned', summary.unsigned],
    ['unknown', 'unknown', summary.unknown],
    ['verified', 'verified', summary.targetVerdicts.verified],
    ['invalid', 'invalid', summary.targetVerdicts.invalid],
    ['untrusted', 'untrusted', summary.targetVerdicts.untrusted],
    ['unverified', 'unverified', summary.targetVerdicts.unverified],
    ['errors', 'errors', summary.errors],
    ['signers', 'signers', summary.signers.length],
  ];

  const rows = results.flatMap((r) => {
    const t = r.target;
    const tv = targetVerdict(r.signatures);
    const common = [
      `<td>${esc(groupKey(r))}</td>`,
      `<td class="ref" title="${esc(targetRef(t))}">${esc(shortName(r, true))}</td>`,
      `<td><code>${esc(t.digest ? t.digest.slice(0, 19) : '-')}</code></td>`,
      `<td><span class="pill ${r.status}">${r.status}</span></td>`,
    ].join('');
    const attrs = (v: VerdictStatus | '' | null) =>
      `data-status="${r.status}" data-verdict="${v ?? ''}" data-target="${esc(targetRef(t))}"`;
    if (!r.signatures.length) {
      const err = r.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
      return [`<tr ${attrs(tv)}>${common}<td>-</td><td>-</td><td>-</td><td>${esc(err || '-')}</td></tr>`];
    }
    return r.signatures.map((s) => {
      const e = s.evidence;
      const counter = e.countersigner
        ? `${e.countersigner.subject ?? e.countersigner.kind}${e.countersigner.time ? ` @ ${e.countersigner.time}` : ''}`
        : (e.signingTime ?? '-');
      return (
        `<tr ${attrs(s.verdict.status)}>${common}<td class="nw">${esc(e.family)}</td>` +
        `<td>${esc(signerLabel(e.signer))}</td><td>${esc(counter)}</td>` +
        `<td><span class="pill ${s.verdict.status}" title="${esc(s.verdict.message)}">${s.verdict.status}</span> <small>${esc(s.verdict.code)}</small></td></tr>`
      );
    });
  });

  const errors = [
    ...report.scanErrors.map((e) => `${e.source ?? 'scan'}: ${e.code}: ${e.message}`),
    ...results.flatMap((r) => r.errors.map((e) => `${targetRef(r.target)}: ${e.code}: ${e.message}`)),
  ];
  const title = `sigscan ${report.command} ${report.inputs.join(' ')}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${esc(`${TOOL_NAME} ${TOOL_VERSION}`)}">
<title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#57606a;margin-bottom:16px}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:84px}
.card .n{display:block;font-size:22px;font-weight:600}
.card.unsigned .n,.card.invalid .n{color:#cf222e}.card.signed .n,.card.verified .n{color:#1a7f37}
.card.unknown .n,.card.untrusted .n,.card.errors .n{color:#9a6700}
.charts{display:flex;flex-wrap:wrap;gap:24px}
.chart{border:1px solid #d0d7de;border-radius:6px;padding:8px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0}td{overflow-wrap:anywhere;max-width:32em}td.ref{min-width:10em}
.pill{border-radius:10px;padding:0 8px;font-size:12px;background:#eaeef2;white-space:nowrap}td.nw{white-space:nowrap;overflow-wrap:normal}
.pill.signed,.pill.verified{background:#dafbe1}.pill.unsigned,.pill.invalid{background:#ffebe9}
.pill.unknown,.pill.untrusted,.pill.error{background:#fff8c5}.pill.unverified{background:#ddf4ff}
.filters{display:flex;gap:8px;margin:8px 0}input,select{font:inherit;padding:2px 6px}
.errors li{font-family:ui-monospace,monospace;font-size:12px}
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<div class="meta">Scanned ${esc(report.startedAt.toISOString())} to ${esc(report.finishedAt.toISOString())} by ${esc(`${TOOL_NAME} ${TOOL_VERSION}`)}</div>
<section id="summary" class="cards">
${cards.map(([key, label, n]) => `<div class="card ${key}" data-summary="${key}"><span class="n">${n}</span>${label}</div>`).join('\n')}
</section>
<p class="meta">Families: ${esc(
    Object.entries(summary.families)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || '-',
  )}${summary.filesSkipped !== undefined ? ` · files skipped: ${summary.filesSkipped}` : ''}</p>
<h2>Charts</h2>
<div class="charts">
<div class="chart" id="chart-groups"><div>Signed / unsigned / unknown by ${groupWord}</div>${groupChart(groups)}</div>
<div class="chart" id="chart-signers"><div>Targets signed, by signer</div>${signerChart(summary.signers)}</div>
</div>
<h2>Targets</h2>
<div class="filters">
<input id="q" type="search" placeholder="Filter (text in any column)" aria-label="Filter">
<select id="status" aria-label="Status"><option value="">any status</option><option>signed</option><option>unsigned</option><option>unknown</option></select>
<select id="verdict" aria-label="Verdict"><option value="">any verdict</option><option>verified</option><option>invalid</option><option>untrusted</option><option>unverified</option><option>error</option></select>
<span id="shown" data-total="${rows.length}">${rows.length} of ${rows.length} rows</span>
</div>
<table id="targets">
<thead><tr><th>${groupWord}</th><th>target</th><th>digest</th><th>status</th><th>family</th><th>signer</th><th>countersigner / time</th><th>verdict / errors</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
${errors.length ? `<h2>Errors (${errors.length})</h2>\n<ul class="errors">${errors.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : ''}
<script>
(function () {
  var q = document.getElementById('q'), st = document.getElementById('status'), vd = document.getElementById('verdict');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#targets tbody tr'));
  var shown = document.getElementById('shown');
  function apply() {
    var text = q.value.toLowerCase(), s = st.value, v = vd.value, n = 0;
    rows.forEach(function (tr) {
      var ok = (!s || tr.getAttribute('data-status') === s) && (!v || tr.getAttribute('data-verdict') === v) &&
        (!text || tr.textContent.toLowerCase().indexOf(text) !== -1);
      tr.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = n + ' of ' + rows.length + ' rows';
  }
  // #status=unsigned&q=foo in the address pre-sets the filters (shareable links).
  var params = new URLSearchParams(location.hash.slice(1));
  q.value = params.get('q') || ''; st.value = params.get('status') || ''; vd.value = params.get('verdict') || '';
  [q, st, vd].forEach(function (el) { el.addEventListener('input', apply); });
  apply();
})();
</script>
</body>
</html>
`;
}

const GREEN = '#2da44e';
const RED = '#cf222e';
const AMBER = '#d4a72c';
const BLUE = '#0969da';

function groupChart(
  groups: Array<{ name: string; signed: number; unsigned: number; unknown: number }>,
): string {
  if (!groups.length) return '<p>No targets.</p>';
  const label = 220;
  const bar = 300;
  const rowH = 22;
  const max = Math.max(...groups.map((g) => g.signed + g.unsigned + g.unknown), 1);
  const scale = bar / max;
  const h = groups.length * rowH + 24;
  const rows = groups.map((g, i) => {
    const y = i * rowH + 4;
    let x = label;
    const seg = (n: number, color: string, what: string) => {
      if (!n) return '';
      const w = Math.max(1, n * scale);
      const r = `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="16" fill="${color}"><title>${esc(`${g.name}: ${n} ${what}`)}</title></rect>`;
      x += w;
      return r;
    };
    const total = g.signed + g.unsigned + g.unknown;
    return (
      `<g data-group="${esc(g.name)}" data-signed="${g.signed}" data-unsigned="${g.unsigned}" data-unknown="${g.unknown}">` +
      `<text x="${label - 6}" y="${y + 12}" text-anchor="end" font-size="12">${esc(clip(g.name, 34))}</text>` +
      seg(g.signed, GREEN, 'signed') +
      seg(g.unsigned, RED, 'unsigned') +
      seg(g.unknown, AMBER, 'unknown') +
      `<text x="${(x + 4).toFixed(1)}" y="${y + 12}" font-size="12">${g.signed}/${total}</text></g>`
    );
  });
  const legend = [
    [GREEN, 'signed'],
    [RED, 'unsigned'],
    [AMBER, 'unknown'],
  ]
    .map(
      ([c, t], i) =>
        `<rect x="${label + i * 90}" y="${h - 14}" width="10" height="10" fill="${c}"/><text x="${label + i * 90 + 14}" y="${h - 5}" font-size="11">${t}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${label + bar + 60}" height="${h}" viewBox="0 0 ${label + bar + 60} ${h}">${rows.join('')}${legend}</svg>`;
}

function signerChart(signers: Array<{ signer: string; targets: number }>): string {
  if (!signers.length) return '<p>No signers.</p>';
  const shown = signers.slice(0, 20);
  const label = 280;
  const bar = 220;
  const rowH = 22;
  const max = Math.max(...shown.map((s) => s.targets), 1);
  const rows = shown.map((s, i) => {
    const y = i * rowH + 4;
    const w = Math.max(1, (s.targets / max) * bar);
    return (
      `<g data-signer="${esc(s.signer)}" data-targets="${s.targets}">` +
      `<text x="${label - 6}" y="${y + 12}" text-anchor="end" font-size="12"><title>${esc(s.signer)}</title>${esc(clip(cn(s.signer), 36))}</text>` +
      `<rect x="${label}" y="${y}" width="${w.toFixed(1)}" height="16" fill="${BLUE}"><title>${esc(`${s.signer}: ${s.targets}`)}</title></rect>` +
      `<text x="${(label + w + 4).toFixed(1)}" y="${y + 12}" font-size="12">${s.targets}</text></g>`
    );
  });
  const more =
    signers.length > shown.length ? `<p>and ${signers.length - shown.length} more signers</p>` : '';
  const h = shown.length * rowH + 8;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${label + bar + 40}" height="${h}" viewBox="0 0 ${label + bar + 40} ${h}">${rows.join('')}</svg>${more}`;
}

function cn(dn: string): string {
  return /(?:^|,)CN=((?:\\.|[^,])*)/.exec(dn)?.[1] ?? dn;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
