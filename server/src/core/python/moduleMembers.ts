// Members of nn.Module instances (parameters(), train(), to(), register_buffer ...) and of the
// containers (ModuleList.append, ModuleDict.items ...), as torch defines them.
import type { DType } from '../ir';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { builtin } from './builtins';
import type { Interpreter } from './interpreter';
import { collectModules, collectParameters, getModuleAttr, isModule, parameter, setModuleAttr, setTraining } from './modules';
import { intOf, iterate, layerOf, NONE, TRUE, FALSE, unknown, type CallArgs, type ClassValue, type Instance, type ModuleState, type PyValue } from './values';

/** a floating-point precision a module was converted to (`.double()`, `.half()`, `.to(torch.bfloat16)`), with the call */
export interface ModelConversion {
  readonly precision: 'fp64' | 'fp16' | 'bf16';
  readonly site: Node;
}

const CONVERSIONS: Readonly<Record<string, ModelConversion['precision']>> = { double: 'fp64', half: 'fp16', bfloat16: 'bf16' };

/**
 * `.to(dtype)`, `.double()`, `.half()`, `.bfloat16()`, `.float()`: the last conversion of a module
 * is its precision; `.float()` (or `.to(torch.float32)`) takes it back to float32, the default
 */
function convert(host: ModuleMemberHost, m: Instance, dtype: DType, site: Node): void {
  if (dtype === 'fp64' || dtype === 'fp16' || dtype === 'bf16') host.converted.set(m, { precision: dtype, site });
  else if (dtype === 'fp32') host.converted.delete(m);
  // torch's Module.to casts floating-point parameters only; an integer dtype raises
  else host.interp.note(site, `\`${site.text}\` raises in torch: nn.Module.to takes floating-point dtypes only; the model keeps its precision`);
}

/** what module members need of the torch host */
export interface ModuleMemberHost {
  readonly interp: Interpreter;
  readonly converted: Map<Instance, ModelConversion>;
  mayHold(m: Instance & { module: ModuleState }, name: string, value: PyValue): void;
  poisonModule(m: Instance, node: Node, reason: string): void;
  callModule(m: Instance & { module: ModuleState }, args: CallArgs, site: Node): PyValue;
}

export function moduleMember(host: ModuleMemberHost, m: Instance & { module: ModuleState }, name: string, site: Node): PyValue | undefined {
  const own = getModuleAttr(m, name);
  if (own !== undefined) return own;
  // user-defined methods come before nn.Module's (a model may define its own `parameters`)
  if (!m.cls.layer) {
    for (let c: ClassValue | undefined = m.cls; c; c = c.bases[0]) if (c.attrs.has(name)) return undefined;
  }
  const st = m.module;
  switch (name) {
    case 'training':
      return st.training ? TRUE : FALSE;
    case 'parameters':
      return builtin(name, () => ({ kind: 'list', items: collectParameters(m).map((p) => p.param) }));
    case 'named_parameters':
      return builtin(name, () => ({ kind: 'list', items: collectParameters(m).map((p) => ({ kind: 'tuple', items: [{ kind: 'str', value: p.name }, p.param] })) }));
    case 'children':
      return builtin(name, () => ({ kind: 'list', items: [...st.children.values()] }));
    case 'named_children':
      return builtin(name, () => ({ kind: 'list', items: [...st.children].map(([k, v]) => ({ kind: 'tuple', items: [{ kind: 'str', value: k }, v] })) }));
    case 'modules':
      return builtin(name, () => ({ kind: 'list', items: collectModules(m).map((e) => e.module) }));
    case 'train':
    case 'eval':
      return builtin(name, (args) => {
        const on = name === 'train' ? (args.positional[0]?.kind === 'bool' ? (args.positional[0] as { value: boolean }).value : true) : false;
        setTraining(m, on);
        return m;
      });
    case 'requires_grad_':
      return builtin(name, (args) => {
        const v = args.positional[0] ?? args.keywords.get('requires_grad') ?? TRUE;
        for (const p of collectParameters(m)) p.param.requiresGrad = v.kind === 'bool' ? v.value : true;
        return m;
      });
    case 'to':
    case 'cuda':
    case 'cpu':
    case 'share_memory':
      return builtin(name, (args, s) => {
        const d = args.positional.find((a) => a.kind === 'dtype') ?? args.keywords.get('dtype');
        if (name === 'to' && d?.kind === 'dtype') convert(host, m, d.dtype, s);
        return m;
      });
    case 'float':
    case 'double':
    case 'half':
    case 'bfloat16':
      return builtin(name, (_args, s) => {
        convert(host, m, CONVERSIONS[name] ?? 'fp32', s);
        return m;
      });
    case 'apply':
    case 'zero_grad':
    case 'load_state_dict':
      return builtin(name, () => (name === 'apply' ? m : NONE));
    case '__setattr__':
      return builtin(name, (args, s) => {
        const [k, v] = args.positional;
        if (k?.kind === 'str' && v) {
          host.mayHold(m, k.value, v);
          setModuleAttr(m, k.value, v);
        } else host.poisonModule(m, s, `\`${s.text}\` sets an attribute whose name is not known statically`);
        return NONE;
      });
    case '__getattr__':
      return builtin(name, (args, s) => {
        const k = args.positional[0];
        return (k?.kind === 'str' ? getModuleAttr(m, k.value) : undefined) ?? unknown(s, `\`${s.text}\` is not known to memlens`);
      });
    case 'add_module':
    case 'register_module':
      return builtin(name, (args) => {
        const [k, v] = args.positional;
        if (k?.kind === 'str' && v) {
          host.mayHold(m, k.value, v);
          setModuleAttr(m, k.value, v);
        }
        return NONE;
      });
    case 'register_buffer':
      return builtin(name, (args, s) => {
        const [k, v] = args.positional;
        const persistent = args.keywords.get('persistent') ?? args.positional[2];
        if (k?.kind !== 'str') return unknown(s, 'register_buffer with a name that is not known');
        if (!v || v.kind === 'none') st.buffers.set(k.value, undefined);
        else if (v.kind === 'tensor') st.buffers.set(k.value, parameter(v.shape, v.dtype, true, persistent?.kind !== 'bool' || persistent.value));
        else {
          host.interp.note(s, `the buffer \`${k.value}\` is not a tensor memlens knows the shape of: it is not counted`);
          host.poisonModule(m, s, `the buffer \`${k.value}\` has a shape memlens does not know`);
        }
        return NONE;
      });
    case 'register_parameter':
      return builtin(name, (args, s) => {
        const [k, v] = args.positional;
        if (k?.kind === 'str' && v?.kind === 'parameter') st.params.set(k.value, v);
        else if (k?.kind === 'str' && v?.kind === 'none') st.params.set(k.value, undefined);
        else host.poisonModule(m, s, `\`${s.text}\` registers a parameter memlens does not know`);
        return NONE;
      });
    case 'forward':
      if (layerOf(m.cls)) return builtin('forward', (args, s) => host.callModule(m, args, s));
      return undefined;
  }
  if (layerOf(m.cls)?.container) return containerMember(m, name);
  return undefined;
}

export function containerMember(m: Instance & { module: ModuleState }, name: string): PyValue | undefined {
  const st = m.module;
  const renumber = (items: Instance[]): void => {
    st.children.clear();
    items.forEach((c, i) => st.children.set(String(i), c));
  };
  switch (name) {
    case 'append':
      return builtin(name, (args) => {
        const v = args.positional[0];
        if (isModule(v)) st.children.set(String(st.children.size), v);
        return m;
      });
    case 'extend':
      return builtin(name, (args) => {
        for (const v of iterate(args.positional[0] ?? NONE) ?? []) if (isModule(v)) st.children.set(String(st.children.size), v);
        return m;
      });
    case 'insert':
      return builtin(name, (args) => {
        const i = intOf(args.positional[0] ?? NONE);
        const v = args.positional[1];
        if (i !== undefined && isModule(v)) {
          const items = [...st.children.values()];
          items.splice(i, 0, v);
          renumber(items);
        }
        return NONE;
      });
    case 'keys':
      return builtin(name, () => ({ kind: 'list', items: [...st.children.keys()].map((k) => ({ kind: 'str', value: k })) }));
    case 'values':
      return builtin(name, () => ({ kind: 'list', items: [...st.children.values()] }));
    case 'items':
      return builtin(name, () => ({ kind: 'list', items: [...st.children].map(([k, v]) => ({ kind: 'tuple', items: [{ kind: 'str', value: k }, v] })) }));
    default:
      return undefined;
  }
}
