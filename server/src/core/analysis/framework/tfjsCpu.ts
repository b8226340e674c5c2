// One `model.predict(x)` or SGD `model.trainOnBatch(x, y)` of TensorFlow.js 4.22 on its CPU
// backend, replayed on the graph kernel by kernel (tfjsOps.ts) over distinct data buffers:
// - predict slices the batch out of x (a copy), runs each layer inside tidy() (a layer's inner
//   kernels go when it returns) and the executor disposes a layer's input after its last reader;
// - trainOnBatch tapes the forward inside one tidy: a layer's inner kernels go when it returns, its
//   outputs when the forward ends, unless a kernel saved them for backward; the backward keeps every
//   gradient it makes until it ends (a second gradient of a tensor is added to the first, and only
//   the previous sum is disposed); then the saved tensors and all but the weights' gradients go, and
//   SGD updates one variable at a time (value + (-lr) x grad: two buffers of that variable's size
//   before the old value is disposed).
// A layer call the frontend made into several ops (Graph.profileLayers: a channels-first
// convolution between its transposes) is one layer here: its inner ops' outputs are its inner
// kernels, and its input is disposed when the call returns. Where tf.js runs an op another way
// (Graph.profileAs), the rule is `<op> in <how>`.
// The weights, x and y exist before the call and are part of the figure.
import { DTYPE_BYTES, type Graph, type OpNode } from '../../ir';
import { graphColumns } from '../../graphColumns';
import { requiresGradient } from '../schedule';
import { AllocationTrace, type AllocationKind, type AllocationPeak, type Storage } from './allocations';
import { mseLoss, TFJS_CPU_OPS, type Kernel, type KernelSource } from './tfjsOps';
import { RESHAPE_VIEWS } from './tfjsReshaping';

export type TfjsResult = { readonly peak: AllocationPeak; readonly inputBytes: number } | { readonly unsupported: readonly string[] };

interface Taped {
  readonly op: number;
  readonly kernel: Kernel;
  /** the storages the kernel read, per source, and whether a gradient can reach them */
  readonly sources: readonly { readonly key: string; readonly bytes: number; readonly grad: boolean }[];
  /** its outputs' storages: one per output */
  readonly keys: readonly string[];
}

/** a kernel's j-th output's storage key */
const outputKey = (key: string, j: number): string => (j === 0 ? key : `${key}#${j}`);
const outputsOf = (kernel: Kernel): readonly number[] => [kernel.bytes, ...(kernel.more ?? [])];
/** the storage key of an op's variable: its gradient is kept for the optimizer */
const weightKey = (op: number, name: string): string => `w${op}.${name}`;

export function simulateTfjsCpu(graph: Graph, batch: number, training: boolean): TfjsResult {
  const bytesOf = (t: number): number => {
    const tensor = graph.tensors[t]!;
    return (tensor.batchIndependent ? tensor.elementsPerSample : tensor.elementsPerSample * batch) * DTYPE_BYTES[tensor.dtype];
  };
  const plan = graph.ops.map((op) => (op.op === 'input' ? [] : kernelsOf(op, graph, bytesOf, training, batch)));
  const missing = [
    ...new Set(
      graph.ops
        .filter((op, i) => plan[i] === null || graph.profileGaps?.has(op.id))
        .map((op) => graph.profileGaps?.get(op.id) ?? (TFJS_CPU_OPS[ruleName(op, graph)] ? `${ruleName(op, graph)} as configured here` : ruleName(op, graph))),
    ),
  ];
  if (missing.length > 0) return { unsupported: missing };
  const trace = new AllocationTrace();
  const inputBytes = graph.inputs.reduce((n, t) => n + bytesOf(t), 0) + (training ? graph.outputs.reduce((n, t) => n + bytesOf(t), 0) : 0);
  const requires = training ? requiresGradient(graphColumns(graph)) : new Uint8Array(graph.tensors.length);
  // storages by key: `t<tensor>` for the graph's tensors, `k<op>.<i>` for a kernel's output
  const storage = new Map<string, Storage>();
  const tensorKey = new Map<number, string>();
  const keyOf = (t: number): string => tensorKey.get(t) ?? `t${t}`;
  const readers = new Int32Array(graph.tensors.length);
  for (const op of graph.ops) for (const t of op.inputs) readers[t]!++;
  for (const t of graph.outputs) readers[t]!++;
  const alloc = (key: string, bytes: number, kind: AllocationKind): void => void storage.set(key, trace.alloc(bytes, kind));
  const free = (key: string): void => {
    const s = storage.get(key);
    if (s) trace.release(s);
    storage.delete(key);
  };
  // predict copies the batch out of x (predictLoop's slice) and holds it to the end
  if (!training) for (const t of graph.inputs) alloc(`t${t}`, bytesOf(t), 'temporary');
  // the readers of each storage: a view's readers read its source's buffer
  const keyReaders = new Map<string, number>();
  const addReaders = (key: string, n: number): void => void keyReaders.set(key, (keyReaders.get(key) ?? 0) + n);
  for (const t of graph.inputs) addReaders(`t${t}`, readers[t]!);
  const inputKeys = new Set(graph.inputs.map((t) => `t${t}`));
  // a layer call made of several ops (Graph.profileLayers) returns at its last op: its tidy() then
  // disposes what its inner ops made, and the executor disposes its input only then
  const callEnd = new Map<number, number>();
  for (const [op, first] of graph.profileLayers ?? []) callEnd.set(first, Math.max(callEnd.get(first) ?? op, op));
  const endsCall = (op: OpNode): boolean => {
    const first = graph.profileLayers?.get(op.id);
    return first === undefined || callEnd.get(first) === op.id;
  };
  let unread: string[] = [];
  let callInner: string[] = [];
  const tape: Taped[] = [];
  const saved = new Set<string>();
  const forwardScope: string[] = [];
  for (const op of graph.ops) {
    trace.site = { phase: 'forward', op: op.id };
    const kernels = plan[op.id]!;
    if (op.op === 'input') continue;
    const keys = kernels.map((_, i) => `k${op.id}.${i}`);
    // a kernel's output needs a gradient when one of the inputs it passes gradients to does; rules
    // that leave their variables implicit need one on every kernel that is not a constant
    const needs: boolean[] = [];
    const explicit = kernels.some((kernel) => kernel.from.some((s) => 'weight' in s));
    const outKeys = kernels.map((kernel, i) => outputsOf(kernel).map((_, j) => outputKey(keys[i]!, j)));
    const source = (s: KernelSource): Taped['sources'][number] => {
      // a layer applied again reads the first application's variables
      if ('weight' in s) return { key: weightKey(op.sharesParamsWith ?? op.id, s.weight), bytes: s.bytes, grad: true };
      if ('input' in s) return { key: keyOf(op.inputs[s.input]!), bytes: bytesOf(op.inputs[s.input]!), grad: requires[op.inputs[s.input]!] === 1 };
      const from = kernels[s.kernel]!;
      return { key: outputKey(keys[s.kernel]!, s.output ?? 0), bytes: outputsOf(from)[s.output ?? 0]!, grad: needs[s.kernel]! };
    };
    // a tidy() inside the layer: what it made goes when it returns, unless saved for backward
    const dispose = (i: number): void => {
      for (const key of outKeys[i]!) if (!(training && saved.has(key))) free(key);
    };
    const dying = new Map<number, number[]>();
    kernels.forEach((kernel, i) => {
      if (kernel.diesAfter !== undefined) dying.set(kernel.diesAfter, [...(dying.get(kernel.diesAfter) ?? []), i]);
    });
    kernels.forEach((kernel, i) => {
      const transient = kernel.transient ? trace.alloc(kernel.transient, 'temporary') : null;
      outputsOf(kernel).forEach((bytes, j) => alloc(outKeys[i]![j]!, bytes, 'activation'));
      if (transient) trace.release(transient);
      const sources = kernel.from.map((s, j) => {
        const r = source(s);
        return { ...r, grad: r.grad && kernel.grads[j] !== 'none' };
      });
      needs.push(!kernel.constant && (!explicit || sources.some((s) => s.grad)));
      if (training) {
        tape.push({ op: op.id, kernel, sources, keys: outKeys[i]! });
        if (kernel.savesInputs) {
          sources.forEach((s, j) => {
            if (!s.key.startsWith('w') && (kernel.savesOnly?.includes(j) ?? true)) saved.add(s.key);
          });
        }
        if (kernel.savesOutput) for (const key of outKeys[i]!) saved.add(key);
      }
      for (const e of dying.get(i) ?? []) dispose(e);
    });
    // the layer's tidy(): inner kernels go, the output stays (a view keeps its input's buffer)
    if (kernels.length === 0) {
      tensorKey.set(op.output, keyOf(op.inputs[0]!));
      if (training && RESHAPE_VIEWS.has(ruleName(op, graph))) saved.add(keyOf(op.inputs[0]!));
    }
    else tensorKey.set(op.output, keys[keys.length - 1]!);
    const inner = new Set(kernels.flatMap((kernel, i) => (i < kernels.length - 1 && !kernel.untidied ? outKeys[i]! : [])));
    for (const key of inner) if (!(training && saved.has(key))) free(key);
    addReaders(keyOf(op.output), readers[op.output]!);
    const returns = endsCall(op);
    if (training) {
      forwardScope.push(...outKeys.flat().filter((key) => storage.has(key)));
      // the layer call's tidy(): its inner ops' outputs go unless saved
      if (!returns) callInner.push(...(outKeys.at(-1) ?? []));
      else {
        for (const key of callInner) if (!saved.has(key)) free(key);
        callInner = [];
      }
      continue;
    }
    // the executor disposes a tensor after its last reader (once the layer call returns); x's slice and the outputs stay
    for (const t of op.inputs) {
      const key = keyOf(t);
      addReaders(key, -1);
      if (keyReaders.get(key) === 0 && !inputKeys.has(key)) unread.push(key);
    }
    if (returns) {
      for (const key of unread) free(key);
      unread = [];
    }
  }
  if (!training) return { peak: trace.peak, inputBytes };
  backward(graph, bytesOf, { trace, tape, saved, forwardScope, storage, keyOf, free, alloc });
  return { peak: trace.peak, inputBytes };
}


interface Replay {
  readonly trace: AllocationTrace;
  readonly tape: Taped[];
  readonly saved: Set<string>;
  readonly forwardScope: readonly string[];
  readonly storage: Map<string, Storage>;
  readonly keyOf: (t: number) => string;
  readonly free: (key: string) => void;
  readonly alloc: (key: string, bytes: number, kind: AllocationKind) => void;
}

function backward(graph: Graph, bytesOf: (t: number) => number, r: Replay): void {
  const { trace, tape, saved, storage } = r;
  // the loss on the (single) output, taped after the model
  const out = graph.outputs[0]!;
  const outBytes = bytesOf(out);
  const rows = Math.max(1, outBytes / (graph.tensors[out]!.shape.at(-1) ?? 1));
  const loss = mseLoss(outBytes, rows);
  loss.forEach((kernel, i) => {
    const key = `loss.${i}`;
    r.alloc(key, kernel.bytes, 'activation');
    const sources = kernel.from.map((s) => ('kernel' in s ? { key: `loss.${s.kernel}`, bytes: loss[s.kernel]!.bytes, grad: true } : { key: r.keyOf(out), bytes: outBytes, grad: true }));
    tape.push({ op: -1, kernel, sources, keys: [key] });
    if (kernel.savesInputs) for (const s of sources) saved.add(s.key);
  });
  // the forward's tidy ends: what no kernel saved goes
  for (const key of [...r.forwardScope, ...loss.map((_, i) => `loss.${i}`)]) if (!saved.has(key)) r.free(key);
  trace.site = { phase: 'backward', op: -1 };
  const grads = new Map<string, Storage>();
  const scope: Storage[] = [];
  // the tidy scope holds every gradient made; the map holds the current one per tensor, and a sum
  // disposes only the previous value (a first gradient goes, a later addend stays in the scope)
  const give = (key: string, s: Storage): void => {
    const existing = grads.get(key);
    if (!existing) {
      grads.set(key, s);
      return;
    }
    grads.set(key, trace.alloc(s.bytes, 'activationGradient'));
    trace.release(existing);
    scope.push(s);
  };
  grads.set(tape[tape.length - 1]!.keys[0]!, trace.alloc(4, 'activationGradient'));
  const weightGrads: Storage[] = [];
  const gradDone = new Set<number>();
  // ops whose kernels read their variables as sources: their gradients are summed per variable
  for (const node of tape) if (node.kernel.from.some((s) => 'weight' in s)) gradDone.add(node.op);
  // ops whose rule names the kernel that makes their variables' gradients
  const flagged = new Set(tape.filter((node) => node.kernel.weightGradients).map((node) => node.op));
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    const dys = node.keys.map((key) => grads.get(key));
    const dy = dys.find((d) => d !== undefined);
    if (!dy) continue;
    trace.site = { phase: 'backward', op: node.op };
    // the engine fills the missing gradients of a kernel's other outputs with zeros, kept to the end
    dys.forEach((d, j) => {
      if (!d) scope.push(trace.alloc(outputsOf(node.kernel)[j]!, 'temporary'));
    });
    if (node.kernel.gradScratch) trace.release(trace.alloc(node.kernel.gradScratch, 'temporary'));
    if (node.kernel.gradKeeps) scope.push(trace.alloc(node.kernel.gradKeeps, 'temporary'));
    const transient = node.kernel.gradTransient ? trace.alloc(node.kernel.gradTransient, 'temporary') : null;
    node.sources.forEach((s, j) => {
      const how = node.kernel.grads[j];
      if (!s.grad) {
        if (how === 'always') scope.push(trace.alloc(s.bytes, 'temporary'));
        return;
      }
      const kind = s.key.startsWith('w') ? 'weightGradient' : 'activationGradient';
      if (how === 'alias' && s.bytes === dy.bytes && node.keys.length === 1) {
        trace.retain(dy);
        give(s.key, dy);
      } else if (how === 'always') {
        // the custom op's reshaped input holds this buffer too: disposing the sum it starts frees nothing
        const made = trace.alloc(s.bytes, kind);
        trace.retain(made);
        scope.push(made);
        give(s.key, made);
      } else give(s.key, trace.alloc(s.bytes, kind));
    });
    // a custom op's gradient makes all its gradients in one function: its temporaries sit beside the variables' too
    if (transient && !node.kernel.customGradient) trace.release(transient);
    // the weights' gradients, made by the op's kernels that read them (once per op); a layer
    // applied again sums its gradient into the first application's, and a custom op's gradient
    // makes a frozen layer's too (kept to the backward's end, given to no variable)
    const op = node.op >= 0 ? graph.ops[node.op]! : null;
    if (op && !gradDone.has(op.id) && (node.kernel.weightGradients || !flagged.has(op.id))) {
      const owner = op.sharesParamsWith ?? op.id;
      const params = graph.ops[owner]!.params;
      if (params.trainable > 0) {
        gradDone.add(op.id);
        give(`w${owner}.*`, trace.alloc(params.trainable * 4, 'weightGradient'));
      } else if (node.kernel.customGradient && params.nonTrainable > 0) {
        gradDone.add(op.id);
        scope.push(trace.alloc(params.nonTrainable * 4, 'temporary'));
      }
    }
    if (transient && node.kernel.customGradient) trace.release(transient);
  }
  // the backward's tidy ends: the gradients made on the way and the saved tensors go; the
  // variables' summed gradients stay for the optimizer
  for (const s of scope) trace.release(s);
  for (const [key, s] of grads) {
    if (key.startsWith('w')) weightGrads.push(s);
    else trace.release(s);
  }
  for (const key of saved) if (storage.has(key)) r.free(key);
  // SGD: per variable, mul(-lr, grad) and add(value) before assign() disposes the old value
  trace.site = { phase: 'backward', op: graph.ops.length - 1 };
  // the variables a rule names, per op, in the order its kernels first read them
  const named = new Map<number, Map<string, number>>();
  for (const node of tape) {
    for (const s of node.kernel.from) {
      if (!('weight' in s)) continue;
      const owner = graph.ops[node.op]!.sharesParamsWith ?? node.op;
      const own = named.get(owner) ?? new Map<string, number>();
      named.set(owner, own.set(s.weight, s.bytes));
    }
  }
  for (const op of graph.ops) {
    const own = named.get(op.id);
    for (const v of own ? [...own.values()] : variables(op, graph)) {
      const product = trace.alloc(v, 'temporary');
      const value = trace.alloc(v, 'temporary');
      trace.release(product);
      trace.release(value);
    }
  }
  for (const s of weightGrads) trace.release(s);
}

/** an op's trainable variables in bytes: a kernel and a bias, or batch norm's gamma and beta */
function variables(op: OpNode, graph: Graph): number[] {
  const n = op.params.trainable;
  if (n === 0 || op.sharesParamsWith !== undefined) return [];
  const channels = graph.tensors[op.output]!.shape.at(-1) ?? 0;
  if (op.op === 'batchnorm') return [n / 2, n / 2].map((e) => e * 4);
  if (op.op === 'separable_conv2d') {
    // a depthwise kernel [kh, kw, in, multiplier], a pointwise [1, 1, in x multiplier, filters], the bias
    const inChannels = graph.tensors[op.inputs[0]!]!.shape.at(-1) ?? 0;
    const pointwise = inChannels * Number(op.attrs['depth_multiplier']) * channels;
    const bias = op.attrs['bias'] === true ? channels : 0;
    return [n - pointwise - bias, pointwise, ...(bias > 0 ? [bias] : [])].map((e) => e * 4);
  }
  if (op.attrs['bias'] === true) return [(n - channels) * 4, channels * 4];
  return [n * 4];
}

/** the rule's name: the op's, or `dense in timeDistributed` where tf.js runs the op another way (Graph.profileAs) */
function ruleName(op: OpNode, graph: Graph): string {
  const as = graph.profileAs?.get(op.id);
  return as ? `${op.op} in ${as}` : op.op;
}

function kernelsOf(op: OpNode, graph: Graph, bytesOf: (t: number) => number, training: boolean, batch: number): readonly Kernel[] | null {
  const rule = TFJS_CPU_OPS[ruleName(op, graph)];
  if (!rule) return null;
  // a frozen layer whose kernels read its variables: tf.js then tapes no gradient for them (not modelled)
  const frozen = op.params.trainable === 0 && op.params.nonTrainable > 0;
  const channels = graph.tensors[op.output]!.shape.at(-1) ?? 0;
  const bias = op.attrs['bias'] === true || op.op === 'batchnorm';
  const kernels = rule({
    training,
    attrs: op.attrs,
    inputs: op.inputs.length,
    inBytes: (k) => bytesOf(op.inputs[k]!),
    outBytes: bytesOf(op.output),
    biasBytes: bias ? channels * 4 : 0,
    inShape: (k) => graph.tensors[op.inputs[k]!]!.shape,
    outShape: graph.tensors[op.output]!.shape,
    batch,
  });
  if (kernels && frozen && training && kernels.some((kernel) => kernel.from.some((s) => 'weight' in s))) return null;
  return kernels;
}
