import { targetRef, type TargetResult, type VerdictStatus } from '../model/index.js';
import {
  signerLabel,
  sortResults,
  summarize,
  targetVerdict,
  type ScanReport,
  type ScanSummary,
} from '../scan/report-model.js';
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
  // Problems first: groups with the most invalid, untrusted, unknown ... targets lead.
  const groups = [...groupResults(results)]
    .map(([name, rs]) => ({ name, counts: countVerdicts(rs) }))
    .sort((a, b) => problemScore(b.counts) - problemScore(a.counts) || (a.name < b.name ? -1 : 1));
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

  const rows = [...results]
    .sort((a, b) => SEVERITY.indexOf(chartVerdict(a)) - SEVERITY.indexOf(chartVerdict(b)))
    .flatMap((r) => {
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
.warn{background:#fff1e5;border:1px solid #fb8500;border-radius:6px;padding:6px 10px}
.coverage dt{font-weight:600}.coverage dd{margin:0 0 6px 16px}
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<div class="meta">Scanned ${esc(report.startedAt.toISOString())} to ${esc(report.finishedAt.toISOString())} by ${esc(`${TOOL_NAME} ${TOOL_VERSION}`)}</div>
${report.interrupted ? '<p class="warn" id="interrupted">Interrupted: only the targets that finished are reported.</p>\n' : ''}<section id="summary" class="cards">
${cards.map(([key, label, n]) => `<div class="card ${key}" data-summary="${key}"><span class="n">${n}</span>${label}</div>`).join('\n')}
</section>
<p class="meta">Families: ${esc(
    Object.entries(summary.families)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || '-',
  )}${summary.filesSkipped !== undefined ? ` · files skipped: ${summary.filesSkipped}` : ''}</p>
${coverageHtml(report)}
${namespacesHtml(summary.namespaces)}<h2>Charts</h2>
<div class="charts">
<div class="chart" id="chart-groups"><div>Targets by verdict, per ${groupWord} (problems first)</div>${groupChart(groups)}</div>
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

const BLUE = '#0969da';

/** A target's place in the charts: its verdict under the target rule, or unsigned / unknown. */
type ChartVerdict = VerdictStatus | 'unsigned' | 'unknown';

/** Worst first: the order of bar segments, legend and table rows. */
const SEVERITY: readonly ChartVerdict[] = [
  'invalid',
  'untrusted',
  'error',
  'unknown',
  'unsigned',
  'unverified',
  'verified',
];

/** One colour per verdict; never green for anything but verified. */
export const VERDICT_COLORS: Record<ChartVerdict, string> = {
  invalid: '#d1242f',
  untrusted: '#f0883e',
  error: '#bf3989',
  unknown: '#d4a72c',
  unsigned: '#6639ba',
  unverified: '#8c959f',
  verified: '#2da44e',
};

function chartVerdict(r: TargetResult): ChartVerdict {
  if (r.status !== 'signed') return r.status;
  return targetVerdict(r.signatures) ?? 'error';
}

function countVerdicts(rs: readonly TargetResult[]): Record<ChartVerdict, number> {
  const counts = Object.fromEntries(SEVERITY.map((v) => [v, 0])) as Record<ChartVerdict, number>;
  for (const r of rs) counts[chartVerdict(r)]++;
  return counts;
}

function problemScore(c: Record<ChartVerdict, number>): number {
  return SEVERITY.slice(0, -2).reduce((n, v, i) => n + c[v] * 10 ** (SEVERITY.length - i), 0);
}

function coverageHtml(report: ScanReport): string {
  const items: string[] = [];
  if (report.checked) items.push(`<dt>Checked</dt><dd>${esc(report.checked.join(', ') || '-')}</dd>`);
  if (report.notChecked?.length)
    items.push(
      `<dt>Not checked</dt>${report.notChecked.map((n) => `<dd class="not-checked"><b>${esc(n.family)}</b>: ${esc(n.reason)}</dd>`).join('')}`,
    );
  if (report.trust)
    items.push(
      `<dt>Trust inputs</dt>${
        report.trust.length
          ? report.trust
              .map(
                (t) =>
                  `<dd class="trust-input">${esc(t.kind)} <code>${esc(t.path)}</code>${t.default ? ' (system default)' : ''}${t.sha256 ? ` <small>sha256 ${esc(t.sha256.slice(0, 16))}…</small>` : ''}</dd>`,
              )
              .join('')
          : '<dd>none given: signatures are at most unverified</dd>'
      }`,
    );
  if (report.at) items.push(`<dt>Verified as of</dt><dd>${esc(report.at.toISOString())}</dd>`);
  if (report.orphans?.length)
    items.push(
      `<dt>Orphan signatures</dt>${report.orphans.map((o) => `<dd>${esc(`${o.registry}/${o.repository}:${o.tag}`)} signs ${esc(o.subject)}, which does not exist</dd>`).join('')}`,
    );
  return items.length ? `<h2>Coverage</h2>\n<dl class="coverage" id="coverage">${items.join('')}</dl>` : '';
}

function groupChart(groups: Array<{ name: string; counts: Record<ChartVerdict, number> }>): string {
  if (!groups.length) return '<p>No targets.</p>';
  const label = 220;
  const bar = 300;
  const rowH = 22;
  const total = (c: Record<ChartVerdict, number>) => SEVERITY.reduce((n, v) => n + c[v], 0);
  const max = Math.max(...groups.map((g) => total(g.counts)), 1);
  const scale = bar / max;
  const legendRows = 2;
  const h = groups.length * rowH + 16 * legendRows + 8;
  const rows = groups.map((g, i) => {
    const y = i * rowH + 4;
    let x = label;
    const seg = (v: ChartVerdict) => {
      const n = g.counts[v];
      if (!n) return '';
      const w = Math.max(1, n * scale);
      const r = `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="16" fill="${VERDICT_COLORS[v]}" data-verdict="${v}"><title>${esc(`${g.name}: ${n} ${v}`)}</title></rect>`;
      x += w;
      return r;
    };
    const attrs = SEVERITY.map((v) => `data-${v}="${g.counts[v]}"`).join(' ');
    return (
      `<g data-group="${esc(g.name)}" ${attrs}>` +
      `<text x="${label - 6}" y="${y + 12}" text-anchor="end" font-size="12">${esc(clip(g.name, 34))}</text>` +
      SEVERITY.map(seg).join('') +
      `<text x="${(x + 4).toFixed(1)}" y="${y + 12}" font-size="12">${g.counts.verified}/${total(g.counts)} verified</text></g>`
    );
  });
  const legend = SEVERITY.map((v, i) => {
    const lx = label + (i % 4) * 80;
    const ly = groups.length * rowH + 8 + Math.floor(i / 4) * 16;
    return `<rect x="${lx}" y="${ly}" width="10" height="10" fill="${VERDICT_COLORS[v]}"/><text x="${lx + 14}" y="${ly + 9}" font-size="11">${v}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${label + bar + 100}" height="${h}" viewBox="0 0 ${label + bar + 100} ${h}">${rows.join('')}${legend}</svg>`;
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

/** Compliance per Kubernetes namespace (`images -` with kubectl JSON); nothing for other scans. */
function namespacesHtml(namespaces: ScanSummary['namespaces']): string {
  if (!namespaces?.length) return '';
  const rows = namespaces.map(
    (n) =>
      `<tr data-namespace="${esc(n.namespace)}"><td>${esc(n.namespace)}</td><td class="num">${n.targets}</td><td class="num">${n.verified}</td></tr>`,
  );
  return `<h2>Namespaces</h2>
<table id="namespaces">
<thead><tr><th>namespace</th><th>targets run there</th><th>verified</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
`;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
