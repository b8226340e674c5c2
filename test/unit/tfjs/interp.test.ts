// The static interpreter's fixtures against tf.js 4.22: every model that
// scripts/tfjs_interp_oracle.mjs built with TensorFlow.js (interp_oracle.json) must come out of
// memlens' static analysis with the same parameter counts and every layer's output shapes.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeFixture, FIXTURES, ready } from './helpers';

interface OracleModel {
  readonly file: string;
  readonly build: string;
  readonly graph: string;
  readonly index: number;
  readonly args?: readonly unknown[];
  readonly params: number;
  readonly trainable: number;
  readonly nonTrainable: number;
  readonly layers: readonly { name: string; className: string; params: number; shapes: number[][] }[];
}

const ORACLE = JSON.parse(readFileSync(join(FIXTURES, 'interp_oracle.json'), 'utf8')) as { tfjs: string; models: OracleModel[] };

before(ready);

describe('static interpreter fixtures against tf.js', () => {
  it('the oracle is tf.js 4.22', () => assert.equal(ORACLE.tfjs, '4.22.0'));
  for (const m of ORACLE.models) {
    it(`${m.file}: ${m.build}(${m.args ? JSON.stringify(m.args).slice(1, -1) : ''})`, () => {
      const analysis = analyzeFixture(m.file);
      const built = analysis.built.filter((b) => b.graph?.name === m.graph)[m.index];
      assert.ok(built?.graph, `no graph '${m.graph}' #${m.index} in [${analysis.graphs.map((g) => g.name).join(', ')}]; ${analysis.diagnostics.map((d) => d.message).join('; ')}`);
      const graph = built.graph;
      const trainable = graph.ops.reduce((n, op) => n + op.params.trainable, 0);
      const nonTrainable = graph.ops.reduce((n, op) => n + op.params.nonTrainable, 0);
      assert.deepEqual({ params: trainable + nonTrainable, trainable, nonTrainable }, { params: m.params, trainable: m.trainable, nonTrainable: m.nonTrainable });
      const byLayer = new Map<number, typeof built.applications[number][]>();
      for (const app of built.applications) byLayer.set(app.layer.serial, [...(byLayer.get(app.layer.serial) ?? []), app]);
      const ours = [...byLayer.entries()].sort((a, b) => a[0] - b[0]).map(([, apps]) => apps);
      assert.equal(ours.length, m.layers.length, 'layer count');
      m.layers.forEach((layer, i) => {
        const apps = ours[i]!;
        const where = `${layer.name} (${layer.className}) vs ${apps[0]!.layer.type}`;
        assert.deepEqual(apps.map((a) => [...graph.tensors[a.output]!.shape]), layer.shapes, `output shapes of ${where}`);
        const count = apps[0]!.ops.reduce((n, id) => n + graph.ops[id]!.params.trainable + graph.ops[id]!.params.nonTrainable, 0);
        assert.equal(count, layer.params, `params of ${where}`);
      });
    });
  }
});
