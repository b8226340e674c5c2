// Hover: what a name, call, block or model costs. Markdown, one section builder per kind of thing.
import { MarkupKind, type Hover } from 'vscode-languageserver';
import type { DocumentAnalysis, ModelAnalysis } from '../../core/document';
import type { BlockInfo, SourceRef } from '../../core/frontend';
import type { OpId, Position, SourceRange, TensorId } from '../../core/ir';
import { lookupOp } from '../../core/ops/registry';
import { atBatch, symbolic } from '../../core/units';
import { isParallel, parallelismOf, perDeviceOfAnalysis } from '../../core/analysis/perDevice';
import { largestContext } from '../../core/analysis/kvCache';
import { decodeStepLine, decodeStepOf } from '../../core/analysis/decodeStep';
import { recomputeLine } from '../../core/analysis/checkpoint';
import { rangeContains, rangeKey, toLspRange } from '../position';
import { CONFIG_KEYS } from './configKeys';
import {
  attrsText,
  blockSignatureText,
  bytesText,
  configText,
  configValueText,
  fitDetailText,
  perDeviceText,
  formatShape,
  optimizerText,
  paramsText,
  symbolicAtBatch,
  symbolicText,
} from './format';
import { modelOf, opsTotals, refAt } from './lookup';
import { instancesMemoryLines, modelMemoryLines, tensorMemoryLines } from './memoryText';

export function hover(analysis: DocumentAnalysis, pos: Position): Hover | null {
  const ref = refAt(analysis, pos);
  const found = ref ? { text: refHover(analysis, ref), range: ref.range } : declarationHover(analysis, pos);
  if (!found || !found.text) return null;
  return { contents: { kind: MarkupKind.Markdown, value: found.text }, range: toLspRange(found.range) };
}

function refHover(analysis: DocumentAnalysis, ref: SourceRef): string | undefined {
  const model = modelOf(analysis, ref);
  switch (ref.kind) {
    case 'tensor':
      return model && ref.tensors?.length ? tensorHover(model, ref.name, ref.tensors) : undefined;
    case 'op':
      return opHover(model, ref.name, ref.ops ?? []);
    case 'block': {
      const info = analysis.blocks.find((b) => b.name === ref.name);
      if (ref.isDefinition) return info ? blockDefinitionHover(analysis, info) : undefined;
      return blockCallHover(model, ref.name, info, ref.ops ?? []);
    }
    case 'model':
      return model ? modelHover(model) : undefined;
    case 'parameter':
      // a tensor parameter of a block denotes its instances; a compile-time one only has a declaration
      return model && ref.tensors?.length ? tensorHover(model, ref.name, ref.tensors) : parameterHover(analysis, ref);
    case 'config':
      return configHover(analysis, ref);
    case 'note':
      return ref.note;
  }
}

/** no ref under the cursor: a model's or block's own name still hovers */
function declarationHover(analysis: DocumentAnalysis, pos: Position): { text: string; range: SourceRange } | undefined {
  const model = analysis.models.find((m) => rangeContains(m.graph.nameRange, pos));
  if (model) return { text: modelHover(model), range: model.graph.nameRange };
  const block = analysis.blocks.find((b) => rangeContains(b.nameRange, pos));
  if (block) return { text: blockDefinitionHover(analysis, block), range: block.nameRange };
  return undefined;
}

export function tensorHover(model: ModelAnalysis, name: string, ids: readonly TensorId[]): string {
  const { graph, footprint } = model;
  const batch = graph.config.batch;
  const tensors = ids.map((id) => graph.tensors[id]).filter((t) => t !== undefined);
  const first = tensors[0];
  if (!first) return `**${name}**`;
  const producer = graph.ops[first.producer];
  if (tensors.length === 1) {
    const bytes = footprint.perOp[first.producer]?.outputBytes ?? symbolic(0, 0);
    const lines = [`**${name}**: \`${formatShape(first.shape)}\` ${first.dtype}`, `- bytes: ${symbolicAtBatch(bytes, batch)}`];
    if (producer) {
      const args = attrsText(producer.op, producer.attrs);
      lines.push(`- produced by \`${producer.op}\`${args ? ` (${args})` : ''}, ${paramsText(producer.params)} params`);
    }
    if (model.memory) lines.push(...tensorMemoryLines(model.memory, graph, first.id));
    return lines.join('\n');
  }
  const block = producer?.callStack.at(-1)?.block;
  const shapes = distinct(tensors.map((t) => `${formatShape(t.shape)} ${t.dtype}`));
  const perTensor = tensors.map((t) => footprint.perOp[t.producer]?.outputBytes.perSample ?? 0);
  const sum = perTensor.reduce((a, b) => a + b, 0);
  return [
    `**${name}**: ${tensors.length} instances${block ? ` (block \`${block}\`)` : ''}`,
    `- shapes: ${shapesText(shapes)}`,
    `- bytes per instance: ${bytesText(perTensor.reduce((m, v) => Math.min(m, v), Infinity))} x N to ${bytesText(perTensor.reduce((m, v) => Math.max(m, v), -Infinity))} x N`,
    `- all instances: ${symbolicAtBatch(symbolic(0, sum), batch)}`,
    ...(model.memory ? instancesMemoryLines(model.memory, graph, tensors.map((t) => t.id)) : []),
  ].join('\n');
}

export function opHover(model: ModelAnalysis | undefined, name: string, ops: readonly OpId[]): string {
  const spec = lookupOp(name);
  const lines = [`**${spec?.name ?? name}**${spec ? `: ${spec.summary}` : ''}`];
  if (spec) lines.push('', `*${spec.formula}*`, '');
  const nodes = model ? ops.map((id) => model.graph.ops[id]).filter((n) => n !== undefined) : [];
  const first = nodes[0];
  if (!model || !first) return lines.join('\n');
  const { graph } = model;
  const batch = graph.config.batch;
  const out = graph.tensors[first.output];
  if (nodes.length === 1) {
    const bytes = model.footprint.perOp[first.id]?.outputBytes ?? symbolic(0, 0);
    if (out) lines.push(`- output: \`${formatShape(out.shape)}\` ${out.dtype}, ${symbolicAtBatch(bytes, batch)}`);
    const args = attrsText(first.op, first.attrs);
    if (args) lines.push(`- arguments: ${args}`);
    lines.push(`- params: ${paramsText(first.params)}`);
    return lines.join('\n');
  }
  const totals = opsTotals(model, ops);
  const shapes = distinct(nodes.map((n) => graph.tensors[n.output]).filter((t) => t !== undefined).map((t) => `${formatShape(t.shape)} ${t.dtype}`));
  lines.push(
    `- ${nodes.length} instances, outputs ${shapesText(shapes)}`,
    `- params: ${paramsText(totals.params)} in all`,
    `- outputs in all: ${symbolicAtBatch(totals.activations, batch)}`,
  );
  return lines.join('\n');
}

export function blockCallHover(model: ModelAnalysis | undefined, name: string, info: BlockInfo | undefined, ops: readonly OpId[]): string {
  const lines = [`**${name}**: block call${info ? ` \`${blockSignatureText(info)}\`` : ''}`];
  if (!model || ops.length === 0) return lines.join('\n');
  const totals = opsTotals(model, ops);
  const batch = model.graph.config.batch;
  const lastOp = model.graph.ops[ops.reduce((m, v) => Math.max(m, v), -1)];
  const out = lastOp ? model.graph.tensors[lastOp.output] : undefined;
  if (out) lines.push(`- output: \`${formatShape(out.shape)}\` ${out.dtype}`);
  lines.push(
    `- ops: ${totals.opCount}`,
    `- params: ${paramsText(totals.params)}`,
    `- weights: ${bytesText(totals.weightBytes)}`,
    `- activations: ${symbolicAtBatch(totals.activations, batch)}`,
  );
  const checkpointed = checkpointedText(model, ops);
  if (checkpointed) lines.push(`- ${checkpointed}`);
  return lines.join('\n');
}

/** "checkpointed: 4 of 8 ops, in 2 segments (recomputed during backward)": which of a call's ops are in a checkpoint segment */
function checkpointedText(model: ModelAnalysis, ops: readonly OpId[]): string | undefined {
  const segments = new Set<number>();
  let marked = 0;
  for (const id of ops) {
    const segment = model.graph.ops[id]?.checkpointSegment;
    if (segment === undefined) continue;
    segments.add(segment);
    marked++;
  }
  if (marked === 0) return undefined;
  const when = model.graph.config.mode === 'train' ? 'recomputed during backward' : 'no backward in this mode: nothing recomputed';
  return `checkpointed: ${marked} of ${ops.length} ops, in ${segments.size} segment${segments.size === 1 ? '' : 's'} (${when})`;
}

export function blockDefinitionHover(analysis: DocumentAnalysis, info: BlockInfo): string {
  const calls = analysis.refs.filter((r) => r.kind === 'block' && r.name === info.name && !r.isDefinition);
  const lines = [`**block** \`${blockSignatureText(info)}\``];
  if (info.doc) lines.push('', info.doc, '');
  lines.push(`- ${calls.length === 1 ? '1 call site' : `${calls.length} call sites`}`);
  // every expansion in each model: the union of the ops its call sites created (a call nested in another block counts once)
  analysis.models.forEach((model, index) => {
    const ops = new Set<OpId>();
    for (const call of calls) if (call.graph === index) for (const op of call.ops ?? []) ops.add(op);
    if (ops.size === 0) return;
    const totals = opsTotals(model, [...ops]);
    const expansions = countExpansions(model, ops, info.name);
    lines.push(
      `- in \`${model.graph.name}\`: ${expansions === 1 ? '1 expansion' : `${expansions} expansions`}, ${totals.opCount} ops, ${paramsText(totals.params)} params, activations ${symbolicAtBatch(totals.activations, model.graph.config.batch)}`,
    );
  });
  return lines.join('\n');
}

/** distinct expansions of a block: call stacks up to a frame of that block (repeat iterations and outer calls apart) */
function countExpansions(model: ModelAnalysis, ops: ReadonlySet<OpId>, block: string): number {
  const seen = new Set<string>();
  for (const id of ops) {
    const stack = model.graph.ops[id]?.callStack ?? [];
    let key = '';
    for (const frame of stack) {
      key += `/${rangeKey(frame.site)}#${frame.iteration ?? ''}`;
      if (frame.block === block) seen.add(key);
    }
  }
  return seen.size;
}

export function modelHover(model: ModelAnalysis): string {
  const { graph, footprint } = model;
  const c = graph.config;
  const b = footprint.bytes;
  const total = atBatch(b.total, c.batch);
  const lines = [
    `**model ${graph.name}**: ${configText(c)}`,
    `- params: ${paramsText(footprint.params)}`,
    `- weights: ${symbolicText(b.weights)}`,
  ];
  if (b.buffers.fixed !== 0) lines.push(`- buffers: ${symbolicText(b.buffers)}`);
  lines.push(`- activations: ${symbolicAtBatch(b.activations, c.batch)}`);
  if (c.mode === 'train') {
    lines.push(`- gradients: ${symbolicText(b.gradients)}`, `- optimizer (${optimizerText(c.optimizer)}): ${symbolicText(b.optimizer)}`);
  }
  if (c.mode === 'generate') {
    const longest = largestContext(model);
    const fits = longest === null ? '' : `; largest context that fits: ${longest.toLocaleString('en-US')}`;
    lines.push(`- KV cache${c.context === undefined ? '' : ` (${c.context.toLocaleString('en-US')} positions)`}: ${symbolicAtBatch(b.kvCache, c.batch)}${fits}`);
    const decode = decodeStepOf(model);
    if (decode) lines.push(`- decode step: ${decodeStepLine(decode, graph)}`);
  }
  lines.push(`- footprint total: ${symbolicAtBatch(b.total, c.batch)}`);
  if (model.memory) {
    // the device verdict from the planned arena, which is what would be allocated
    lines.push(...modelMemoryLines(model.memory, graph), `- device: ${fitDetailText(model.memory.bytes.planned, c.device)}`);
    const recompute = model.memory.recompute;
    if (recompute) lines.push(`- checkpointed: ${recomputeLine(recompute, c.batch)}`);
    const perDevice = isParallel(parallelismOf(c)) ? perDeviceOfAnalysis(footprint.params, c, model.memory) : undefined;
    if (perDevice) lines.push(`- ${perDeviceText(perDevice, c.device)}`);
  } else lines.push(`- device: ${fitDetailText(total, c.device)}`);
  if (footprint.overflow || model.memory?.overflow) lines.push('- some figures exceed 2^53 and cannot be counted exactly');
  return lines.join('\n');
}

function parameterHover(analysis: DocumentAnalysis, ref: SourceRef): string {
  const block = analysis.blocks.find((b) => rangeContains(b.range, ref.range.start));
  const param = block?.params.find((p) => p.name === ref.name);
  const def = param?.default !== undefined ? ` (default ${param.default})` : '';
  return `**${ref.name}**: parameter${block ? ` of block \`${block.name}\`` : ''}${def}`;
}

/** a config key: what it means and the value in effect for each model it reaches */
function configHover(analysis: DocumentAnalysis, ref: SourceRef): string | undefined {
  const spec = CONFIG_KEYS.find((k) => k.name === ref.name);
  if (!spec) return undefined;
  const lines = [`**${ref.name}**: ${spec.doc}`];
  const models = ref.graph === undefined ? analysis.models : analysis.models.slice(ref.graph, ref.graph + 1);
  for (const { graph } of models) {
    const value = configValueText(graph.config, ref.name);
    if (value !== undefined) lines.push(`- in effect for \`${graph.name}\`: ${value}`);
  }
  return lines.join('\n');
}

function distinct(items: readonly string[]): string[] {
  return [...new Set(items)];
}

/** up to four distinct shapes, then a count */
function shapesText(shapes: readonly string[]): string {
  const shown = shapes.slice(0, 4).map((s) => `\`${s}\``).join(', ');
  return shapes.length > 4 ? `${shown} and ${shapes.length - 4} more` : shown;
}
