// Recurrent tf.layers: lstm, gru, simpleRNN, rnn({cell}) with one cell or a stack of cells, and
// bidirectional with every merge mode. returnSequences picks the output; returnState adds the final
// states ([output, h, c] for an LSTM, [output, h] otherwise); an initialState given to apply() is
// read by the op. States are [units] per sample.
import type { LayerObject, Value } from './values';
import { TFJS_CODES } from './codes';
import { LayerConfig, PlanError, type OpStep } from './layerConfig';

/** a layer's steps and, where it returns several tensors, which ones (indices into [inputs..., steps...]) */
export interface MultiPlan {
  readonly steps: OpStep[];
  readonly outputs?: readonly number[];
}

const LAYER_OPS: Readonly<Record<string, string>> = { lstm: 'lstm', gru: 'gru', simpleRNN: 'simple_rnn' };
const CELL_OPS: Readonly<Record<string, string>> = { lstmCell: 'lstm', gruCell: 'gru', simpleRNNCell: 'simple_rnn' };
/** recurrent layer types: what `rnn`, the cells and `bidirectional` accept */
export const RECURRENT_LAYERS: ReadonlySet<string> = new Set(['lstm', 'gru', 'simpleRNN', 'rnn']);

function unsupported(cfg: LayerConfig, key: string, message: string): never {
  throw new PlanError({ node: cfg.nodeOf(key), message, code: TFJS_CODES.unsupported, severity: 'info' });
}

/** a config value other than tf.js' default (an unresolvable one counts as other) */
export function notDefault(cfg: LayerConfig, key: string, isDefault: (v: Value) => boolean): boolean {
  const v = cfg.raw(key);
  return v !== undefined && !isDefault(v);
}

const is = (value: string | number | boolean) => (v: Value): boolean => (v.kind === 'string' || v.kind === 'number' || v.kind === 'bool') && v.value === value;

/**
 * options that change the kernels tf.js runs, which the TensorFlow.js CPU profile replays with their
 * defaults only: tanh and hard-sigmoid activations, no dropout (the cell's), forwards in time (the layer's)
 */
function recurrentProfileGap(cell: LayerConfig, layer: LayerConfig, op: string, label: string): string | undefined {
  const gaps: string[] = [];
  if (notDefault(cell, 'activation', is('tanh'))) gaps.push('activation');
  if (op !== 'simple_rnn' && notDefault(cell, 'recurrentActivation', is('hardSigmoid'))) gaps.push('recurrentActivation');
  for (const key of ['dropout', 'recurrentDropout']) if (notDefault(cell, key, is(0))) gaps.push(key);
  for (const key of ['goBackwards', 'stateful']) if (notDefault(layer, key, is(false))) gaps.push(key);
  return gaps.length > 0 ? `${label} with ${gaps.join(', ')}` : undefined;
}

/** one cell: its op and config, with the layer that runs it */
interface Cell {
  readonly op: string;
  readonly cfg: LayerConfig;
  readonly type: string;
}

/** the cells a recurrent layer runs: itself for lstm/gru/simpleRNN, its `cell` (or stack) for rnn */
function cellsOf(layer: LayerObject, cfg: LayerConfig): Cell[] {
  const own = LAYER_OPS[layer.type];
  if (own) return [{ op: own, cfg, type: layer.type }];
  // rnn({cell}) or stackedRNNCells({cells})
  const key = layer.type === 'stackedRNNCells' ? 'cells' : 'cell';
  const v = cfg.raw(key);
  if (v === undefined) throw new PlanError({ node: cfg.nodeOf(key), message: `${layer.type} needs '${key}'`, code: TFJS_CODES.invalidConfig, severity: 'error' });
  if (v.kind === 'unknown') cfg.nestedLayer(key);
  const items = v.kind === 'array' ? v.items : [v];
  const cells: Cell[] = [];
  for (const item of items) {
    if (item.kind !== 'layer') unsupported(cfg, key, 'rnn: the cell is not a tf.layers cell memlens can follow (lstmCell, gruCell, simpleRNNCell, stackedRNNCells)');
    if (item.type === 'stackedRNNCells') {
      cells.push(...cellsOf(item, new LayerConfig(item)));
      continue;
    }
    const op = CELL_OPS[item.type];
    if (!op) unsupported(cfg, key, `rnn with a ${item.type} cell is not supported by memlens yet (lstmCell, gruCell, simpleRNNCell, stackedRNNCells are)`);
    cells.push({ op, cfg: new LayerConfig(item), type: item.type });
  }
  if (cells.length === 0) unsupported(cfg, key, `${layer.type} with an empty list of cells`);
  return cells;
}

/** `key: null` given in the config (tf.js tells it from a missing key: bidirectional's mergeMode) */
function explicitNull(layer: LayerObject, key: string): boolean {
  const config = layer.config;
  return config?.kind === 'object' && config.props.get(key)?.kind === 'null';
}

/** the number of tensors a recurrent layer's apply() returns (returnState adds the states) */
export function recurrentOutputCount(layer: LayerObject): number {
  const cfg = new LayerConfig(layer);
  try {
    if (layer.type === 'bidirectional') return explicitNull(layer, 'mergeMode') ? 2 : 1;
    if (!RECURRENT_LAYERS.has(layer.type) || !cfg.bool('returnState', false)) return 1;
    const cells = cellsOf(layer, cfg);
    return 1 + cells.reduce((n, c) => n + (c.op === 'lstm' ? 2 : 1), 0);
  } catch (err) {
    if (err instanceof PlanError) return 1;
    throw err;
  }
}

function opStep(cell: Cell, layerCfg: LayerConfig, label: string, returnSequences: boolean, bidirectional: boolean, extra: Partial<OpStep> = {}): OpStep {
  const gap = recurrentProfileGap(cell.cfg, layerCfg, cell.op, label);
  return {
    op: cell.op,
    ...(gap ? { profileGap: gap } : {}),
    ...extra,
    args: {
      hidden: cell.cfg.int('units'),
      return_sequences: returnSequences,
      bidirectional,
      // tf.js keeps one bias vector per gate block (its GRU has no reset_after)
      bias_sets: cell.cfg.bool('useBias', true) ? 1 : 0,
      ...(extra.args ?? {}),
    },
  };
}

/** lstm / gru / simpleRNN / rnn on [x] or [x, ...initialState] */
export function recurrentPlan(layer: LayerObject, cfg: LayerConfig, inputShapes: readonly (readonly number[])[]): MultiPlan {
  const cells = cellsOf(layer, cfg);
  const label = layer.type === 'rnn' ? `rnn(${cells.map((c) => c.type).join(', ')})` : layer.type;
  const sequences = cfg.bool('returnSequences', false);
  const returnState = cfg.bool('returnState', false);
  const states = inputShapes.length - 1;
  if (cells.length > 1) {
    if (returnState) unsupported(cfg, 'returnState', `${label}: returnState with stacked cells is not supported by memlens yet`);
    if (states > 0) unsupported(cfg, 'cell', `${label}: an initialState for stacked cells is not supported by memlens yet`);
    // each cell reads the sequence of the one before; the layer's output is the last cell's
    return { steps: cells.map((c, i) => opStep(c, cfg, label, i < cells.length - 1 || sequences, false, { profileGap: `${label}: stacked cells` })) };
  }
  const cell = cells[0]!;
  const stateCount = cell.op === 'lstm' ? 2 : 1;
  const steps: OpStep[] = [];
  let rnn: OpStep;
  if (states > 0) {
    if (states !== stateCount) {
      throw new PlanError({ node: layer.site, message: `${label} takes ${stateCount} initial state${stateCount === 1 ? '' : 's'}, got ${states} (tf.js throws)`, code: TFJS_CODES.shape, severity: 'error' });
    }
    // the op reads each state as [layers * directions, units]: a view of the [units] state
    for (let i = 1; i <= states; i++) steps.push({ op: 'reshape', args: { shape: [1, ...(inputShapes[i] ?? [])] }, from: [i], profileGap: `${label} with initialState` });
    rnn = opStep(cell, cfg, label, sequences, false, { from: [0, ...steps.map((_, i) => inputShapes.length + i)], profileGap: `${label} with initialState`, args: { initial_state: true } });
  } else rnn = opStep(cell, cfg, label, sequences, false);
  steps.push(rnn);
  if (!returnState) return { steps };
  const out = inputShapes.length + steps.length - 1;
  const units = cell.cfg.int('units');
  const gap = `${label} with returnState`;
  const length = inputShapes[0]?.[0] ?? 1;
  // h: the last step's output (a view of it without returnSequences, a copy of its last row with them)
  if (sequences) {
    steps.push({ op: 'take', args: { axis: 0, indices: [length - 1] }, from: [out], profileGap: gap });
    steps.push({ op: 'reshape', args: { shape: [units] }, profileGap: gap });
  } else steps.push({ op: 'reshape', args: { shape: [units] }, from: [out], profileGap: gap });
  const outputs = [out, inputShapes.length + steps.length - 1];
  if (cell.op === 'lstm') {
    // c: the final cell state, a buffer of its own the op makes alongside its output
    steps.push({ op: 'constant', args: { shape: [units], per_sample: true }, from: [], profileGap: gap });
    outputs.push(inputShapes.length + steps.length - 1);
  }
  return { steps, outputs };
}

const MERGE_OPS: Readonly<Record<string, string>> = { sum: 'add', mul: 'mul', ave: 'average' };

/** bidirectional(layer) with mergeMode concat (the default), sum, mul, ave or null (both outputs) */
export function bidirectionalPlan(layer: LayerObject, cfg: LayerConfig, inputShapes: readonly (readonly number[])[]): MultiPlan {
  const inner = cfg.nestedLayer('layer');
  if (!RECURRENT_LAYERS.has(inner.type)) unsupported(cfg, 'layer', `bidirectional(${inner.type}): only a recurrent layer (lstm, gru, simpleRNN, rnn) can be wrapped`);
  const innerCfg = new LayerConfig(inner);
  if (innerCfg.bool('returnState', false)) unsupported(innerCfg, 'returnState', 'bidirectional with returnState is not supported by memlens yet');
  if (inputShapes.length > 1) unsupported(cfg, 'layer', 'bidirectional with an initialState is not supported by memlens yet');
  const cells = cellsOf(inner, innerCfg);
  if (cells.length > 1) unsupported(cfg, 'layer', 'bidirectional around stacked cells is not supported by memlens yet');
  const cell = cells[0]!;
  const sequences = innerCfg.bool('returnSequences', false);
  const merge = explicitNull(layer, 'mergeMode') ? null : cfg.oneOf('mergeMode', ['concat', 'sum', 'mul', 'ave'], 'concat');
  if (merge === 'concat') return { steps: [opStep(cell, innerCfg, `bidirectional(${inner.type})`, sequences, true)] };
  const label = `bidirectional(${inner.type}) with mergeMode ${merge === null ? 'null' : `'${merge}'`}`;
  // the forward and the backward layer on the same input (the backward's output reversed in time: same shape)
  const steps: OpStep[] = [
    opStep(cell, innerCfg, label, sequences, false, { from: [0], profileGap: label }),
    opStep(cell, innerCfg, label, sequences, false, { from: [0], profileGap: label }),
  ];
  if (merge === null) return { steps, outputs: [1, 2] };
  steps.push({ op: MERGE_OPS[merge]!, args: {}, from: [1, 2], profileGap: label });
  return { steps };
}
