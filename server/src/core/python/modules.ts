// nn.Module bookkeeping as torch does it: attribute assignment registers submodules and
// parameters in order, parameters() walks the tree once per tensor (tied weights count once).
import type { DType } from '../ir';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { LAYERS, type LayerSpec } from './layers';
import { CELL_LAYERS } from './cells';
import { MORE_LAYERS } from './moreLayers';
import type { ClassValue, Instance, ModuleState, Parameter, PyValue } from './values';

/** torch.nn.Module itself: the base every module class derives from */
export const MODULE_BASE: ClassValue = { kind: 'class', name: 'Module', bases: [], attrs: new Map(), isModule: true };

/** the class value of each modelled torch.nn layer, made once */
export const LAYER_CLASSES: ReadonlyMap<string, ClassValue> = new Map(
  [...LAYERS.values(), ...CELL_LAYERS, ...MORE_LAYERS].map((spec: LayerSpec) => [spec.name, { kind: 'class', name: spec.name, bases: [MODULE_BASE], attrs: new Map(), isModule: true, layer: spec } satisfies ClassValue]),
);

export function newModuleState(site: Node): ModuleState {
  return { children: new Map(), params: new Map(), buffers: new Map(), training: true, site };
}

export function newInstance(cls: ClassValue, site: Node): Instance {
  return cls.isModule ? { kind: 'instance', cls, attrs: new Map(), module: newModuleState(site) } : { kind: 'instance', cls, attrs: new Map() };
}

export function parameter(shape: readonly number[], dtype: DType = 'fp32', buffer = false, persistent = true): Parameter {
  return { kind: 'parameter', shape, dtype, requiresGrad: !buffer, buffer, persistent };
}

export function isModule(v: PyValue | undefined): v is Instance & { module: ModuleState } {
  return v !== undefined && v.kind === 'instance' && v.module !== undefined;
}

/** `obj.name = value` on a module: torch's __setattr__ routes modules and parameters to their dicts */
export function setModuleAttr(obj: Instance & { module: ModuleState }, name: string, value: PyValue): void {
  const m = obj.module;
  // a module or parameter replacing one of its kind keeps its place (torch assigns into the same dict entry)
  if (isModule(value) && m.children.has(name)) {
    m.children.set(name, value);
    return;
  }
  if (value.kind === 'parameter' && !value.buffer && m.params.has(name)) {
    m.params.set(name, value);
    return;
  }
  m.children.delete(name);
  m.params.delete(name);
  obj.attrs.delete(name);
  if (isModule(value)) m.children.set(name, value);
  else if (value.kind === 'parameter' && !value.buffer) m.params.set(name, value);
  else if (value.kind === 'parameter' && m.buffers.has(name)) m.buffers.set(name, value);
  else if (value.kind === 'none' && m.buffers.has(name)) m.buffers.set(name, undefined);
  else obj.attrs.set(name, value);
}

/** `obj.name` on a module: its own attributes first, then parameters, buffers and submodules */
export function getModuleAttr(obj: Instance & { module: ModuleState }, name: string): PyValue | undefined {
  const own = obj.attrs.get(name);
  if (own !== undefined) return own;
  const m = obj.module;
  if (m.params.has(name)) return m.params.get(name) ?? { kind: 'none' };
  if (m.buffers.has(name)) return m.buffers.get(name) ?? { kind: 'none' };
  return m.children.get(name);
}

/** every module of the tree once, depth first, with its qualified name (named_modules) */
export function collectModules(root: Instance, prefix = ''): { name: string; module: Instance }[] {
  const out: { name: string; module: Instance }[] = [];
  const seen = new Set<Instance>();
  const visit = (m: Instance, name: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    out.push({ name, module: m });
    for (const [k, child] of m.module?.children ?? []) visit(child, name ? `${name}.${k}` : k);
  };
  visit(root, prefix);
  return out;
}

/** every parameter once (model.parameters()), with the module that owns it */
export function collectParameters(root: Instance): { owner: Instance; name: string; param: Parameter }[] {
  const out: { owner: Instance; name: string; param: Parameter }[] = [];
  const seen = new Set<Parameter>();
  for (const { name, module } of collectModules(root)) {
    for (const [k, p] of module.module?.params ?? []) {
      if (!p || seen.has(p)) continue;
      seen.add(p);
      out.push({ owner: module, name: name ? `${name}.${k}` : k, param: p });
    }
  }
  return out;
}

/** every buffer once, with the module that owns it */
export function collectBuffers(root: Instance): { owner: Instance; param: Parameter }[] {
  const out: { owner: Instance; param: Parameter }[] = [];
  const seen = new Set<Parameter>();
  for (const { module } of collectModules(root)) {
    for (const p of module.module?.buffers.values() ?? []) {
      if (!p || seen.has(p)) continue;
      seen.add(p);
      out.push({ owner: module, param: p });
    }
  }
  return out;
}

export function numel(p: Parameter): number {
  return p.shape.reduce((a, b) => a * b, 1);
}

/** the counts torch would report: trainable, frozen, float buffers, integer buffers */
export function countParameters(root: Instance): { trainable: number; frozen: number; buffers: number; intBuffers: number } {
  let trainable = 0;
  let frozen = 0;
  let buffers = 0;
  let intBuffers = 0;
  for (const { param } of collectParameters(root)) {
    if (param.requiresGrad) trainable += numel(param);
    else frozen += numel(param);
  }
  for (const { param } of collectBuffers(root)) {
    if (param.dtype === 'int64' || param.dtype === 'int32' || param.dtype === 'bool') intBuffers += numel(param);
    else buffers += numel(param);
  }
  return { trainable, frozen, buffers, intBuffers };
}

/** model.train(mode) / model.eval(): the whole tree */
export function setTraining(root: Instance, training: boolean): void {
  for (const { module } of collectModules(root)) if (module.module) module.module.training = training;
}

/**
 * copy.deepcopy: modules, their parameters and buffers are new objects (a tensor tied twice inside
 * the value stays tied in the copy, as deepcopy's memo keeps it); `copied(from, to)` carries what
 * the host keeps beside each module (its constructor arguments). Other values are shared: they
 * are immutable here, or lists and dicts copied item by item.
 */
export function deepCopy(v: PyValue, copied: (from: Instance, to: Instance) => void, memo = new Map<object, PyValue>()): PyValue {
  const seen = memo.get(v);
  if (seen) return seen;
  switch (v.kind) {
    case 'parameter': {
      const p: Parameter = { ...v };
      memo.set(v, p);
      return p;
    }
    case 'list': {
      const out: PyValue = { kind: 'list', items: [] };
      memo.set(v, out);
      for (const x of v.items) out.items.push(deepCopy(x, copied, memo));
      return out;
    }
    case 'tuple':
      return { kind: 'tuple', items: v.items.map((x) => deepCopy(x, copied, memo)) };
    case 'dict': {
      const out: PyValue = { kind: 'dict', entries: new Map() };
      memo.set(v, out);
      for (const [k, x] of v.entries) out.entries.set(k, deepCopy(x, copied, memo));
      return out;
    }
    case 'instance': {
      const st = v.module;
      const out: Instance = st ? { kind: 'instance', cls: v.cls, attrs: new Map(), module: { children: new Map(), params: new Map(), buffers: new Map(), training: st.training, site: st.site } } : { kind: 'instance', cls: v.cls, attrs: new Map() };
      memo.set(v, out);
      for (const [k, x] of v.attrs) out.attrs.set(k, deepCopy(x, copied, memo));
      if (st && out.module) {
        for (const [k, c] of st.children) out.module.children.set(k, deepCopy(c, copied, memo) as Instance);
        for (const [k, p] of st.params) out.module.params.set(k, p && (deepCopy(p, copied, memo) as Parameter));
        for (const [k, p] of st.buffers) out.module.buffers.set(k, p && (deepCopy(p, copied, memo) as Parameter));
      }
      copied(v, out);
      return out;
    }
    default:
      return v;
  }
}
