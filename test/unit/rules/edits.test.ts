// The .nnm edit builders on their own: where `batch:` goes, how an argument is set, what a statement
// removal takes with it. Each expectation is the whole edited text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits } from '../../../server/src/core/fixes/edits';
import { parseFile } from '../../../server/src/core/fixes/locate';
import { removeStatement, setBoolArg, setConfigValue } from '../../../server/src/core/fixes/nnmEdits';
import { rangeOf } from '../../../server/src/core/ir';

function setBatch(text: string, model: string, value: string): string {
  const e = setConfigValue(parseFile(text), text.split('\n'), model, 'batch', value);
  assert.ok(e);
  return applyEdits(text, [e]);
}

const BODY = '  x = input(4)\n  return dense(x, 2)\n}\n';

test("batch: the model's own entry wins over the file's", () => {
  const text = `config {\n  batch: 8\n}\nmodel a {\n  config { batch: 16 }\n${BODY}`;
  assert.equal(setBatch(text, 'a', '4'), text.replace('batch: 16', 'batch: 4'));
});

test("batch: the file's entry when the file has one model", () => {
  const text = `config {\n  mode: train\n  batch: 8  # per device\n}\nmodel a {\n${BODY}`;
  assert.equal(setBatch(text, 'a', '4'), text.replace('batch: 8  # per device', 'batch: 4  # per device'));
});

test("batch: two models and only a file entry: inserted into the model's multi-line config, same indent", () => {
  const text = `config { batch: 8 }\nmodel a {\n  config {\n    mode: infer\n  }\n${BODY}model b {\n${BODY}`;
  assert.equal(setBatch(text, 'a', '4'), text.replace('    mode: infer\n', '    mode: infer\n    batch: 4\n'));
});

test('batch: two models, no model config: a one-line config at the top of the model body', () => {
  const text = `config { batch: 8 }\nmodel a {\n${BODY}model b {\n${BODY}`;
  assert.equal(setBatch(text, 'b', '4'), text.replace('model b {\n', 'model b {\n  config { batch: 4 }\n'));
});

test('batch: no config at all, one model: a one-line config in the model', () => {
  const text = `model a {\n${BODY}`;
  assert.equal(setBatch(text, 'a', '4'), `model a {\n  config { batch: 4 }\n${BODY}`);
});

test('argument: an explicit false becomes true; otherwise appended after the last argument, even across lines', () => {
  const text = 'model a {\n  x = input(4)\n  y = relu(x, inplace: false)\n  z = relu(\n    y,  # keep\n  )\n  return z\n}\n';
  const file = parseFile(text);
  const e1 = setBoolArg(file, rangeOf(2, 6, 2, 29), 'inplace');
  assert.ok(e1);
  assert.equal(applyEdits(text, [e1]), text.replace('inplace: false', 'inplace: true'));
  const e2 = setBoolArg(file, rangeOf(3, 6, 5, 3), 'inplace');
  assert.ok(e2);
  assert.equal(applyEdits(text, [e2]), text.replace('    y,  # keep', '    y, inplace: true,  # keep'));
});

test('statement removal: its whole line with the trailing comment; the comment line above stays', () => {
  const text = 'model a {\n  x = input(4)\n  # kept\n  t = relu(x)  # gone\n  return x\n}\n';
  const e = removeStatement(parseFile(text), text.split('\n'), rangeOf(3, 6, 3, 13));
  assert.ok(e);
  assert.equal(applyEdits(text, [e]), 'model a {\n  x = input(4)\n  # kept\n  return x\n}\n');
});
