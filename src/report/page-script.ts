/**
 * The report page's own script (plain ES5-style JavaScript, inlined; no library but vega).
 * - Charts: each `figure.chart` gets its compiled Vega spec drawn as SVG with vega's CSP-safe
 *   expression interpreter, then `data-rendered="true"` (or `data-error`), which browser tests wait on.
 * - Drill-down: the sampled trials, filterable and paginated. Every value goes into the page with
 *   textContent, never as HTML: model outputs are untrusted.
 * Data comes from <script type="application/json"> elements, parsed with JSON.parse.
 */
export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var charts = data('fewshot-charts') || [];
  charts.forEach(function (chart) {
    var figure = document.querySelector('figure.chart[data-chart="' + chart.id + '"]');
    if (!figure) return;
    var view = figure.querySelector('.chart-view');
    try {
      new vega.View(vega.parse(chart.vega, null, { ast: true }), {
        expr: vega.expressionInterpreter,
        renderer: 'svg',
        container: view,
        hover: true
      }).runAsync().then(function () {
        figure.setAttribute('data-rendered', 'true');
      }, function (e) {
        figure.setAttribute('data-error', String(e));
        view.textContent = 'The chart could not be drawn: ' + e;
      });
    } catch (e) {
      figure.setAttribute('data-error', String(e));
      view.textContent = 'The chart could not be drawn: ' + e;
    }
  });

  var section = document.getElementById('drilldown');
  var rows = data('fewshot-samples') || [];
  if (!section) return;
  var body = section.querySelector('tbody');
  var pageInfo = section.querySelector('.page-info');
  var filters = {
    provider: section.querySelector('select[name=provider]'),
    selector: section.querySelector('select[name=selector]'),
    k: section.querySelector('select[name=k]'),
    outcome: section.querySelector('select[name=outcome]'),
    text: section.querySelector('input[name=text]')
  };
  var PAGE = 25;
  var page = 0;

  function options(select, values) {
    values.forEach(function (v) {
      var o = document.createElement('option');
      o.value = String(v);
      o.textContent = String(v);
      select.appendChild(o);
    });
  }
  function distinct(key) {
    var seen = {};
    var out = [];
    rows.forEach(function (r) {
      var v = String(r[key]);
      if (!seen[v]) { seen[v] = true; out.push(r[key]); }
    });
    return out.sort(function (a, b) { return typeof a === 'number' ? a - b : (String(a) < String(b) ? -1 : 1); });
  }
  options(filters.provider, distinct('provider'));
  options(filters.selector, distinct('selector'));
  options(filters.k, distinct('k'));

  function verdict(r) {
    if (r.outcome !== 'answered') return r.outcome;
    return r.score === 1 ? 'right' : r.score === 0 ? 'wrong' : 'partial';
  }
  function matches(r) {
    if (filters.provider.value && r.provider !== filters.provider.value) return false;
    if (filters.selector.value && r.selector !== filters.selector.value) return false;
    if (filters.k.value && String(r.k) !== filters.k.value) return false;
    var o = filters.outcome.value;
    if (o === 'failed' && r.outcome === 'answered') return false;
    if (o && o !== 'failed' && verdict(r) !== o) return false;
    var t = filters.text.value.toLowerCase();
    if (t) {
      var hay = [r.provider, r.selector, r.itemId, r.shotIds.join(' '), r.output, r.answer, r.parseError, r.scorerError, r.error && r.error.message].join(' ').toLowerCase();
      if (hay.indexOf(t) < 0) return false;
    }
    return true;
  }
  function cell(tr, text, cls) {
    var td = document.createElement('td');
    if (cls) td.className = cls;
    td.textContent = text === null || text === undefined ? '' : String(text);
    tr.appendChild(td);
    return td;
  }
  function render() {
    var shown = rows.filter(matches);
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (page >= pages) page = pages - 1;
    while (body.firstChild) body.removeChild(body.firstChild);
    shown.slice(page * PAGE, page * PAGE + PAGE).forEach(function (r) {
      var tr = document.createElement('tr');
      tr.className = 'outcome-' + verdict(r);
      cell(tr, r.provider);
      cell(tr, r.selector);
      cell(tr, r.k, 'num');
      cell(tr, r.itemId);
      cell(tr, r.repeat, 'num');
      cell(tr, r.shotIds.join(', '), 'wrap');
      cell(tr, verdict(r));
      cell(tr, r.outcome === 'answered' ? r.score : '', 'num');
      var out = cell(tr, r.output === null ? '(no output)' : r.output + (r.outputCut ? ' [...]' : ''), 'output');
      if (r.output === null) out.className += ' muted';
      cell(tr, r.answer, 'output');
      cell(tr, r.error ? r.error.kind + ': ' + r.error.message : (r.parseError || (r.scorerError ? 'scorer failure: ' + r.scorerError : '') || (r.finishReason === 'length' ? 'truncated' : '')), 'wrap');
      cell(tr, Math.round(r.latencyMs) + ' ms' + (r.cached ? ' (cache)' : ''), 'num');
      body.appendChild(tr);
    });
    pageInfo.textContent = shown.length === 0
      ? 'no trial matches'
      : 'trials ' + (page * PAGE + 1) + '-' + Math.min(shown.length, page * PAGE + PAGE) + ' of ' + shown.length + ' (page ' + (page + 1) + ' of ' + pages + ')';
  }
  ['provider', 'selector', 'k', 'outcome'].forEach(function (name) {
    filters[name].addEventListener('change', function () { page = 0; render(); });
  });
  filters.text.addEventListener('input', function () { page = 0; render(); });
  section.querySelector('button[name=prev]').addEventListener('click', function () { if (page > 0) { page--; render(); } });
  section.querySelector('button[name=next]').addEventListener('click', function () { page++; render(); });
  render();
})();`;
