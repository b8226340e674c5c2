// The engine reads op and tensor fields from graphColumns (core/graphColumns.ts), filled by
// GraphBuilder or copied from the objects once per graph: every column must say what the objects
// say, both ways, on every example, rule fixture and TypeScript fixture (whose graphs share weights).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeNnm } from '../../../server/src/core/dsl/frontend';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { DTYPES, graphColumns } from '../../../server/src/core/graphColumns';
import { DTYPE_BYTES } from '../../../server/src/core/ir';
import { lookupOp } from '../../../server/src/core/ops/registry';
import { analyzeDocument } from '../../../server/src/core/analyze';
import type { Graph } from '../../../server/src/core/ir';
import { ready } from '../tfjs/helpers';

const ROOT = join(__dirname, '..', '..', '..');
const FILES = [
  ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.nnm')).map((f) => join(ROOT, 'examples', f)),
  ...readdirSync(join(ROOT, 'test', 'fixtures', 'rules')).filter((f) => f.endsWith('.nnm')).map((f) => join(ROOT, 'test', 'fixtures', 'rules', f)),
];

const TS_FILES = readdirSync(join(ROOT, 'test', 'fixtures', 'tfjs')).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, 'test', 'fixtures', 'tfjs', f));

before(ready); // the TypeScript frontend loads its tree-sitter grammar once

function graphsOf(file: string): readonly Graph[] {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.nnm') ? analyzeNnm(text, BUILTIN_DEFAULTS).graphs : analyzeDocument(text, 'typescript').models.map((m) => m.graph);
}

test('graph columns equal the graph objects on every example and fixture', () => {
  let ops = 0;
  let shared = 0;
  for (const file of [...FILES, ...TS_FILES]) {
    for (const graph of graphsOf(file)) {
      const c = graphColumns(graph);
      assert.equal(graphColumns(graph), c, 'made once per graph');
      // GraphBuilder fills the columns as it adds ops; a graph made another way (a copy here) gets
      // them from its objects: the same columns either way
      assert.deepEqual({ ...graphColumns({ ...graph }), opSpec: [...graphColumns({ ...graph }).opSpec] }, { ...c, opSpec: [...c.opSpec] });
      assert.equal(c.opCount, graph.ops.length);
      assert.equal(c.tensorCount, graph.tensors.length);
      graph.ops.forEach((op, i) => {
        const where = `${file.slice(ROOT.length + 1)} ${graph.name} op ${i} (${op.op})`;
        assert.equal(op.id, i, `${where}: ids are indices`);
        assert.deepEqual([...c.inputs.subarray(c.inputStart[i], c.inputStart[i + 1])], [...op.inputs], where);
        assert.equal(c.opOutput[i], op.output, where);
        assert.equal(c.opTrainable[i], op.params.trainable, where);
        assert.equal(c.opNonTrainable[i], op.params.nonTrainable, where);
        assert.equal(c.opSharesParams[i], op.sharesParamsWith === undefined ? 0 : 1, where);
        if (op.sharesParamsWith !== undefined) shared++;
        assert.equal(c.opWeightOwner[i], op.sharesParamsWith ?? op.id, where);
        assert.equal(c.opIsInput[i], op.op === 'input' ? 1 : 0, where);
        assert.ok(Object.is(c.opSegment[i], op.checkpointSegment ?? Number.NaN), where);
        assert.equal(c.opSpec[i], lookupOp(op.op), where);
        assert.equal(c.opAttrs[i], op.attrs, where);
        assert.equal(c.opRequestsInPlace[i], op.inPlace || op.attrs['inplace'] === true ? 1 : 0, where);
        ops++;
      });
      graph.tensors.forEach((t, i) => {
        assert.equal(c.tensorBytes[i], t.elementsPerSample * DTYPE_BYTES[t.dtype]);
        assert.equal(c.tensorElements[i], t.elementsPerSample);
        assert.equal(DTYPES[c.tensorDType[i]!], t.dtype);
        assert.equal(c.tensorProducer[i], t.producer);
        assert.equal(c.tensorShape[i], t.shape);
        assert.equal(c.tensorIsOutput[i], graph.outputs.includes(i) ? 1 : 0);
      });
    }
  }
  assert.ok(ops > 500, `${ops} ops compared`);
  assert.ok(shared > 0, 'a layer applied twice (sharesParamsWith) is among them');
});
