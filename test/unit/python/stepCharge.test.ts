// Work a host does outside statements (the copies copy.deepcopy makes, torchHost.copiedModule) is
// charged to the interpreter's step count, so the step limit bounds it like a loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interpreter, StepLimit, type Host } from '../../../server/src/core/python/interpreter';

test('charge(n) counts n steps, and the step limit stops the charge that passes it', () => {
  // the host is not asked anything: no statement runs
  const interp = new Interpreter({} as Host, 10);
  interp.charge(4);
  assert.equal(interp.steps, 4);
  interp.charge();
  assert.equal(interp.steps, 5);
  interp.charge(5);
  assert.equal(interp.steps, 10);
  assert.throws(() => interp.charge(1), StepLimit);
});
