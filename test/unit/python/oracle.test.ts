// The Python frontend against real PyTorch: parameter counts and every layer's output shapes
// from test/fixtures/python/oracle.json (written by scripts/python_oracle.py with torch 1.13).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeFootprint } from '../../../server/src/core/analysis/footprint';
import { analyzeFixture, FIXTURES, ready } from './helpers';

interface OracleTensor {
  readonly shape: readonly number[];
  readonly dtype: string;
}
interface OracleModel {
  readonly file: string;
  readonly name: string;
  readonly batch: number;
  readonly params: { trainable: number; frozen: number; buffers: number };
  readonly modules: Readonly<Record<string, readonly (readonly OracleTensor[])[]>>;
  readonly output: readonly OracleTensor[];
}

const oracle = JSON.parse(readFileSync(join(FIXTURES, 'oracle.json'), 'utf8')) as { models: Record<string, OracleModel> };

/** models whose forward memlens does not follow yet, with the reason it gives */
const NOT_FOLLOWED: Readonly<Record<string, RegExp>> = {};

before(ready);

describe('Python frontend against PyTorch 1.13 (oracle.json)', () => {
  for (const [id, m] of Object.entries(oracle.models)) {
    const file = m.file === 'resnet_cifar' || m.file.startsWith('resnet_cifar') ? 'resnet_cifar/model.py' : m.file;
    it(`${id}: parameters${NOT_FOLLOWED[id] ? '' : ', output and every layer call shape'}`, () => {
      const r = analyzeFixture(file);
      const counted = r.modules.find((x) => x.name === m.name) ?? r.modules.find((x) => x.instance.cls.name === m.name);
      assert.ok(counted, `no model named ${m.name}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
      assert.deepEqual(
        { trainable: counted.counts.trainable, frozen: counted.counts.frozen, buffers: counted.counts.buffers },
        { trainable: m.params.trainable, frozen: m.params.frozen, buffers: m.params.buffers },
      );
      const expectStop = NOT_FOLLOWED[id];
      const graph = r.graphs.find((g) => g.name === m.name);
      if (expectStop) {
        assert.equal(graph, undefined);
        assert.ok(r.diagnostics.some((d) => d.message.includes(`model '${m.name}'`) && expectStop.test(d.message)), r.diagnostics.map((d) => d.message).join('; '));
        return;
      }
      assert.ok(graph, `no graph for ${m.name}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
      // the graph carries the same counts as the module tree: frozen weights and float buffers are non-trainable
      const fp = computeFootprint(graph);
      // torch's frozen parameters are memlens' frozen weights (the count only when there are some)
      const frozen = m.params.frozen > 0 ? { frozen: m.params.frozen } : {};
      assert.deepEqual(fp.params, { trainable: m.params.trainable, nonTrainable: m.params.frozen + m.params.buffers, ...frozen });
      // the example's batch literal is the batch; a pragma's N has none, so the setting's default holds
      assert.equal(graph.config.batch, id === 'pragma_only' ? 32 : m.batch);
      const trace = r.traces.find((t) => t.name === m.name)!;
      const atBatch = (shape: readonly number[], batchAxis: number): number[] => shape.map((d, i) => (i === batchAxis ? d * m.batch : d));
      const out = trace.output ?? [];
      assert.deepEqual(atBatch(out[0]!.shape, out[0]!.batchAxis), [...m.output[0]!.shape]);
      for (const [name, calls] of Object.entries(m.modules)) {
        const ours = trace.moduleCalls.filter((c) => c.module === name);
        // eval-mode dropout returns its input: torch records a call, memlens an identity
        assert.equal(ours.length, calls.length, `${name}: ${ours.length} calls, torch ${calls.length}`);
        calls.forEach((tensors, k) => {
          const t = ours[k]!.outputs[0]!;
          assert.deepEqual(atBatch(t.shape, t.batchAxis), [...tensors[0]!.shape], `${name} call ${k}`);
        });
      }
    });
  }
});
