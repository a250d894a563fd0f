import { test } from 'vitest';
import { compile } from 'vega-lite';
import * as vega from 'vega';
import { writeFileSync } from 'node:fs';
import { accuracyChartSpec } from '../src/report/chart.js';
test('scratch', async () => {
const summary: any = { experimentName: 'x', runId: 'r', curves: [
 { provider: 'local', selector: 'random', points: [ {k:0, accuracy:{estimate:0.5,lower:0.3,upper:0.7,n:10}, nItems:10,nTrials:10,failureRate:0}, {k:2, accuracy:{estimate:0.6,lower:0.4,upper:0.8,n:10}, nItems:10,nTrials:10,failureRate:0.1}, {k:8, accuracy:{estimate:0.7,lower:0.5,upper:0.9,n:10}, nItems:10,nTrials:10,failureRate:0}]},
 { provider: 'local', selector: 'similar', points: [ {k:0, accuracy:{estimate:0.5,lower:0.3,upper:0.7,n:10}, nItems:10,nTrials:10,failureRate:0}, {k:2, accuracy:{estimate:0.8,lower:0.6,upper:0.9,n:10}, nItems:10,nTrials:10,failureRate:0.1}, {k:8, accuracy:{estimate:0.9,lower:0.7,upper:1,n:10}, nItems:10,nTrials:10,failureRate:0}]},
]};
const spec = accuracyChartSpec(summary);
const c = compile(spec);
const view = new vega.View(vega.parse(c.spec), { renderer: 'none' });
const svg = await view.toSVG();
writeFileSync('/tmp/chart.svg', svg);
console.log(svg.length, svg.includes('local / random'));
});
