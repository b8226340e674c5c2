// GraphBuilder keeps ops in columns and the graph builds its op and tensor objects on first read
// (core/graphObjects.ts): the objects must be exactly what the requests described, built once,
// and the same whether read through graph.ops / graph.tensors or one at a time (opAt / tensorAt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { GraphBuilder, isRejection, type OpRequest } from '../../../server/src/core/graphBuilder';
import { opAt, tensorAt } from '../../../server/src/core/graphObjects';
import { rangeOf, type CallFrame, type Graph } from '../../../server/src/core/ir';

const MODEL = rangeOf(0, 0, 9, 1);
const NAME = rangeOf(0, 6, 0, 9);
const FRAME: CallFrame = { block: 'pair', site: rangeOf(4, 2, 4, 20), iteration: 1 };

/** the new op's id, failing the test when the builder refuses it */
function added(b: GraphBuilder, request: OpRequest): number {
  const r = b.add(request);
  if (isRejection(r)) assert.fail(`${request.op}: ${r.message}`);
  return r;
}

/** input(16) as x; dense(x, 32) unnamed; relu in place, in a block and a checkpoint segment, renamed to y */
function small(): { graph: Graph; sites: ReturnType<typeof rangeOf>[] } {
  const b = new GraphBuilder('small', BUILTIN_DEFAULTS, MODEL, NAME);
  const sites = [rangeOf(1, 6, 1, 15), rangeOf(2, 6, 2, 20), rangeOf(3, 6, 3, 13)];
  const statements = [rangeOf(1, 2, 1, 15), rangeOf(2, 2, 2, 20), rangeOf(3, 2, 3, 13)];
  const x = added(b, { op: 'input', inputs: [], args: { shape: [16] }, site: sites[0]!, statement: statements[0]!, name: 'x' });
  const h = added(b, { op: 'linear', inputs: [x], args: { units: 32 }, site: sites[1]!, statement: statements[1]! });
  const r = added(b, { op: 'relu', inputs: [h], args: {}, site: sites[2]!, statement: statements[2]!, callStack: [FRAME], inPlace: true, checkpointSegment: 0 });
  assert.deepEqual([x, h, r], [0, 1, 2], 'ids count up (an op and its output share one)');
  b.rename(r, 'y');
  return { graph: b.build([r]), sites };
}

test('op and tensor objects are exactly what the requests described', () => {
  const { graph, sites } = small();
  assert.deepEqual(graph.ops[1], {
    id: 1,
    op: 'dense',
    inputs: [0],
    output: 1,
    attrs: { units: 32, bias: true, activation: 'linear' },
    params: { trainable: 16 * 32 + 32, nonTrainable: 0 },
    site: sites[1],
    statement: rangeOf(2, 2, 2, 20),
    callStack: [],
    inPlace: false,
  });
  assert.deepEqual(graph.ops[2], {
    id: 2,
    op: 'relu',
    inputs: [1],
    output: 2,
    attrs: { inplace: false },
    params: { trainable: 0, nonTrainable: 0 },
    site: sites[2],
    statement: rangeOf(3, 2, 3, 13),
    callStack: [FRAME],
    inPlace: true,
    checkpointSegment: 0,
  });
  assert.equal(graph.ops[1]!.site, sites[1], 'the site given, not a copy');
  assert.deepEqual(graph.tensors, [
    { id: 0, name: 'x', shape: [16], dtype: 'fp32', producer: 0, elementsPerSample: 16 },
    { id: 1, name: 'dense#1', shape: [32], dtype: 'fp32', producer: 1, elementsPerSample: 32 },
    { id: 2, name: 'y', shape: [32], dtype: 'fp32', producer: 2, elementsPerSample: 32 },
  ]);
  assert.equal(graph.tensors[2]!.shape, graph.tensors[1]!.shape, 'an op that keeps its input shape shares the array');
  assert.deepEqual([graph.inputs, graph.outputs, graph.name, graph.range, graph.nameRange], [[0], [2], 'small', MODEL, NAME]);
  assert.equal('truncated' in graph, false);
});

test('each object is built once: opAt / tensorAt and the full lists agree, in either order', () => {
  const first = small().graph;
  const op1 = opAt(first, 1);
  const t2 = tensorAt(first, 2);
  assert.equal(first.ops[1], op1, 'a list read after a single op holds that op');
  assert.equal(first.tensors[2], t2);
  assert.equal(first.ops, first.ops, 'the list is built once');
  assert.equal(first.tensors, first.tensors);
  const second = small().graph;
  const ops = second.ops;
  assert.equal(opAt(second, 2), ops[2], 'a single op read after the list is the list entry');
  assert.equal(tensorAt(second, 0), second.tensors[0]);
  // a graph made of plain objects (a copy, a test graph) reads through its arrays
  const copy: Graph = { ...second };
  assert.equal(opAt(copy, 2), ops[2]);
  assert.equal(tensorAt(copy, 1), second.tensors[1]);
});

test('copies, JSON and deep equality see ops and tensors as own properties', () => {
  const { graph } = small();
  const copy = { ...graph };
  assert.equal(copy.ops, graph.ops);
  assert.equal(copy.tensors, graph.tensors);
  const json = JSON.parse(JSON.stringify(graph)) as Graph;
  assert.equal(json.ops.length, 3);
  assert.equal(json.tensors[1]!.name, 'dense#1');
  assert.deepEqual(Object.keys(graph).sort(), ['config', 'inputs', 'name', 'nameRange', 'ops', 'outputs', 'range', 'tensors']);
});

test('the builder answers shapes and parameters of what it has added, and rejects unknown ids', () => {
  const b = new GraphBuilder('g', BUILTIN_DEFAULTS, MODEL, NAME);
  const x = added(b, { op: 'input', inputs: [], args: { shape: [3, 8, 8] }, site: MODEL, statement: MODEL });
  const c = added(b, { op: 'conv2d', inputs: [x], args: { filters: 4, kernel: 3 }, site: MODEL, statement: MODEL });
  assert.deepEqual(b.shapeOf(c), [4, 6, 6]);
  assert.deepEqual(b.paramsOf(c), { trainable: 3 * 4 * 9 + 4, nonTrainable: 0 });
  assert.deepEqual(b.add({ op: 'conv2d', inputs: [x], args: { filters: 4, kernel: 9 }, site: MODEL, statement: MODEL }), {
    message: 'conv2d kernel spans 9 but the padded input is only 8',
    arg: 'kernel',
  });
  assert.deepEqual(b.add({ op: 'nope', inputs: [], args: {}, site: MODEL, statement: MODEL }), { message: "unknown op 'nope'" });
  assert.throws(() => b.shapeOf(2), /unknown tensor id 2/);
  assert.throws(() => b.add({ op: 'relu', inputs: [7], args: {}, site: MODEL, statement: MODEL }), /unknown tensor id 7/);
  assert.equal(b.opCount, 2, 'a rejected op adds nothing');
});

test('offsets with spans instead of ranges: the ranges are made when an op is read', () => {
  const made: string[] = [];
  const spans = {
    range(from: number, to: number) {
      made.push(`${from}-${to}`);
      return rangeOf(0, from, 0, to);
    },
  };
  const b = new GraphBuilder('g', BUILTIN_DEFAULTS, MODEL, NAME);
  const x = added(b, { op: 'input', inputs: [], args: { shape: [4] }, spans, siteFrom: 4, siteTo: 12, statementFrom: 0, statementTo: 12 });
  const y = added(b, { op: 'relu', inputs: [x], args: {}, spans, siteFrom: 18, siteTo: 25, statementFrom: 14, statementTo: 25 });
  assert.throws(() => b.add({ op: 'relu', inputs: [y], args: {} }), /neither ranges nor spans/);
  assert.throws(() => b.add({ op: 'relu', inputs: [y], args: {}, spans, siteFrom: 1, siteTo: 2 }), /neither ranges nor spans with offsets/, 'a statement needs offsets too');
  assert.throws(() => b.add({ op: 'relu', inputs: [y], args: {}, site: MODEL, spans, statementFrom: 1 }), /neither ranges nor spans/);
  const graph = b.build([y]);
  assert.deepEqual(made, [], 'nothing made until an op is read');
  assert.deepEqual(opAt(graph, 1).site, rangeOf(0, 18, 0, 25));
  assert.deepEqual(opAt(graph, 1).statement, rangeOf(0, 14, 0, 25));
  assert.deepEqual(made, ['18-25', '14-25']);
  assert.deepEqual(graph.ops[0]!.site, rangeOf(0, 4, 0, 12));
  assert.equal(graph.ops[1]!.site, opAt(graph, 1).site, 'made once');
  assert.equal(made.length, 4);
});
