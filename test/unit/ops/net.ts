// Test helper: builds graphs through GraphBuilder and calls spec rules directly.
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS, mergeConfig } from '../../../server/src/core/config';
import { GraphBuilder, isRejection } from '../../../server/src/core/graphBuilder';
import { rangeOf, type Layout, type Mode, type ParamCount } from '../../../server/src/core/ir';
import { lookupOp } from '../../../server/src/core/ops/registry';
import { resolveSaved, type ResolvedSaved } from '../../../server/src/core/ops/common';
import type { ArgValue, OpContext } from '../../../server/src/core/ops/types';

const HERE = rangeOf(0, 0, 0, 0);

export interface T {
  readonly id: number;
  readonly shape: readonly number[];
}

/** a graph under construction; `op` asserts success, `fail` asserts a ShapeError */
export class Net {
  readonly builder: GraphBuilder;
  params: ParamCount = { trainable: 0, nonTrainable: 0 };

  constructor(readonly layout: Layout = 'nchw', mode: Mode = 'train') {
    const config = mergeConfig(BUILTIN_DEFAULTS, { layout, mode });
    this.builder = new GraphBuilder('test', config, HERE, HERE);
  }

  input(...shape: number[]): T {
    return this.op('input', [], { shape });
  }

  op(op: string, inputs: readonly T[], args: Record<string, ArgValue> = {}): T {
    const r = this.builder.add({ op, inputs: inputs.map((t) => t.id), args, site: HERE, statement: HERE });
    if (isRejection(r)) assert.fail(`${op} failed: ${r.message}`);
    const params = this.builder.paramsOf(r);
    this.params = {
      trainable: this.params.trainable + params.trainable,
      nonTrainable: this.params.nonTrainable + params.nonTrainable,
    };
    return { id: r, shape: this.builder.shapeOf(r) };
  }

  /** the last op's params */
  paramsOf(op: string, inputs: readonly T[], args: Record<string, ArgValue> = {}): ParamCount {
    const r = this.builder.add({ op, inputs: inputs.map((t) => t.id), args, site: HERE, statement: HERE });
    if (isRejection(r)) assert.fail(`${op} failed: ${r.message}`);
    return this.builder.paramsOf(r);
  }

  /** asserts the call is rejected; returns the message and blamed argument */
  fail(op: string, inputs: readonly T[], args: Record<string, ArgValue> = {}): { message: string; arg?: string } {
    const r = this.builder.add({ op, inputs: inputs.map((t) => t.id), args, site: HERE, statement: HERE });
    if (!isRejection(r)) assert.fail(`${op} should have failed but gave [${this.builder.shapeOf(r).join(', ')}]`);
    return { message: r.message, ...(r.arg !== undefined ? { arg: r.arg } : {}) };
  }
}

/** an OpContext for calling a spec's rules directly, defaults filled in */
export function context(op: string, shapes: readonly (readonly number[])[], args: Record<string, ArgValue> = {}, layout: Layout = 'nchw'): OpContext {
  const spec = lookupOp(op);
  assert.ok(spec, `unknown op ${op}`);
  const full: Record<string, ArgValue> = {};
  for (const a of spec.args) {
    const v = args[a.name] ?? a.default;
    if (a.kind !== 'tensor' && v !== undefined) full[a.name] = v;
  }
  return { inputs: shapes.map((shape) => ({ shape, dtype: 'fp32' })), args: full, layout, activationDType: 'fp32' };
}

/** saved-for-backward and workspace of one call */
export function memoryOf(op: string, shapes: readonly (readonly number[])[], args: Record<string, ArgValue> = {}, layout: Layout = 'nchw'): {
  out: number[];
  saved: ResolvedSaved;
  workspace: number;
} {
  const spec = lookupOp(op)!;
  const ctx = context(op, shapes, args, layout);
  const out = spec.inferShape(ctx);
  return { out, saved: resolveSaved(spec, ctx, out), workspace: spec.workspaceElements?.(ctx, out).perSample ?? 0 };
}
