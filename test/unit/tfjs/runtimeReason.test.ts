// A reason tainted again keeps one wrapper: a variable set in a run-time branch and tested again
// by the next iteration of a loop wrapped its reason once per iteration (the fuzzer's case,
// test/fixtures/fuzz/tfjs_nested_taint_reasons.json, replayed by the fuzz smoke: 10,000 nested
// wrappers exhausted a 2 GiB heap).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeReason } from '../../../server/src/core/tfjs/statements';

const BRANCH = 'this branch depends on a run-time condition';

it('wraps a plain reason once', () => {
  assert.equal(runtimeReason(BRANCH, 'x is a parameter'), `${BRANCH} (x is a parameter)`);
  // parentheses of the reason itself stay
  assert.equal(runtimeReason(BRANCH, 'f(x) is unknown'), `${BRANCH} (f(x) is unknown)`);
});

it('rewraps a wrapped reason instead of nesting it, whatever the wrappers', () => {
  assert.equal(runtimeReason(BRANCH, `${BRANCH} (x is a parameter)`), `${BRANCH} (x is a parameter)`);
  assert.equal(runtimeReason("this loop's trip count is not statically known", `${BRANCH} (this switch depends on a run-time value (n))`), "this loop's trip count is not statically known (n)");
});
