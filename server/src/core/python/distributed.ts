// Data-parallel wrappers read from the file (issue 18): PyTorch FSDP's sharding strategy and CPU
// offload, DistributedDataParallel, and DeepSpeed's ZeRO stage, offload and gradient accumulation
// from a config dict written in the file. Each wrapper returns the module it wraps (the forward is
// the module's); what it says about sharding becomes the model's config. The world size is a
// run-time value (torchrun's): it stays the memlens.devices setting, and the call's hover says so.
import type { Offload, ZeroStage } from '../ir';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { builtin } from './builtins';
import { describe, FALSE, intOf, isUnknown, NONE, truthy, unknown, type BuiltinValue, type CallArgs, type PyValue } from './values';

/** what one wrapper call says about the model it wraps */
export interface ShardingCall {
  /** the wrapped module */
  readonly module: PyValue;
  readonly zero?: ZeroStage;
  readonly offload?: Offload;
  readonly gradientAccumulation?: number;
  /** the call, for its hover note */
  readonly site: Node;
  /** what was read, for the hover */
  readonly note: string;
  /** FSDP's `ShardingStrategy.X` as written, whose X the ZeRO quick fix replaces */
  readonly strategyName?: Node;
}

/** FSDP's strategies as ZeRO stages (the issue's mapping); the hybrid ones shard within a node only */
const FSDP_STAGES: Readonly<Record<string, ZeroStage>> = { FULL_SHARD: 3, SHARD_GRAD_OP: 2, NO_SHARD: 0 };

const STRATEGY = '__fsdp_strategy:';
const OFFLOAD_PARAMS = '__fsdp_offload:';

/**
 * A member of torch.distributed.fsdp or torch.nn.parallel the host resolves (undefined: not ours).
 * `record` keeps what a wrapper call said, read or not (its hover says which).
 */
export function distributedMember(full: string, record: (call: ShardingCall) => void): PyValue | undefined {
  const parts = full.split('.');
  const name = parts[parts.length - 1]!;
  const ns = parts.slice(0, -1).join('.');
  const fsdp = ns === 'torch.distributed.fsdp' || ns === 'torch.distributed.fsdp.fully_sharded_data_parallel' || ns === 'torch.distributed.fsdp.api';
  if (fsdp && name === 'FullyShardedDataParallel') return builtin(full, (args, site) => fsdpCall(args, site, record));
  if (fsdp && name === 'CPUOffload') return builtin(full, (args) => ({ kind: 'str', value: `${OFFLOAD_PARAMS}${truthy(args.keywords.get('offload_params') ?? args.positional[0] ?? FALSE) === true}` }));
  if (fsdp && name === 'ShardingStrategy') return { kind: 'namespace', path: full };
  if (ns.endsWith('fsdp.ShardingStrategy') || ns.endsWith('fsdp.api.ShardingStrategy')) return { kind: 'str', value: `${STRATEGY}${name}` };
  if (full === 'torch.nn.parallel.DistributedDataParallel' || full === 'torch.nn.parallel.distributed.DistributedDataParallel') {
    return builtin(full, (args, site) => {
      const module = args.positional[0] ?? args.keywords.get('module') ?? NONE;
      record({ module, zero: 0, site, note: 'DistributedDataParallel: every device holds the whole model, its gradients and its optimizer state (ZeRO stage 0)' });
      return module;
    });
  }
  return undefined;
}

function fsdpCall(args: CallArgs, site: Node, record: (call: ShardingCall) => void): PyValue {
  const module = args.positional[0] ?? args.keywords.get('module') ?? NONE;
  const strategy = args.keywords.get('sharding_strategy');
  let zero: ZeroStage = 3;
  let strategyName = 'FULL_SHARD (the default)';
  if (strategy && strategy.kind !== 'none') {
    const name = strategy.kind === 'str' && strategy.value.startsWith(STRATEGY) ? strategy.value.slice(STRATEGY.length) : undefined;
    const stage = name === undefined ? undefined : FSDP_STAGES[name];
    if (stage === undefined) {
      record({ module, site, note: `FSDP sharding_strategy ${name ?? describe(strategy)} is not read as a ZeRO stage (FULL_SHARD, SHARD_GRAD_OP and NO_SHARD are): the memlens.zero setting applies` });
      return module;
    }
    zero = stage;
    strategyName = name!;
  }
  const offloadArg = args.keywords.get('cpu_offload');
  const offload: Offload = offloadArg?.kind === 'str' && offloadArg.value === `${OFFLOAD_PARAMS}true` ? 'cpu' : 'none';
  const written = strategyNameNode(site);
  const note = `FSDP ${strategyName}: ZeRO stage ${zero}${offload === 'cpu' ? ', parameters and optimizer state offloaded to the CPU' : ''}, over memlens.devices devices (the world size is a run-time value: set memlens.devices, CLI --devices)`;
  record({ module, zero, offload, site, note, ...(written ? { strategyName: written } : {}) });
  return module;
}

/** the X of `sharding_strategy=ShardingStrategy.X` in the call's arguments */
function strategyNameNode(call: Node): Node | undefined {
  const keyword = call.childForFieldName('arguments')?.namedChildren.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'sharding_strategy');
  const value = keyword?.childForFieldName('value');
  return value?.type === 'attribute' ? (value.childForFieldName('attribute') ?? undefined) : undefined;
}

/** the FSDP strategy of a ZeRO stage; stage 1 has none (FSDP shards gradients with the optimizer state) */
export const FSDP_STRATEGY_OF: Readonly<Partial<Record<ZeroStage, string>>> = { 0: 'NO_SHARD', 2: 'SHARD_GRAD_OP', 3: 'FULL_SHARD' };

/**
 * deepspeed.initialize(model=..., config={...}) / config_params: returns (engine, optimizer,
 * dataloader, scheduler) with the engine standing for the model. The ZeRO stage, offload and
 * gradient accumulation come from a dict written in the file; a config file path is not read.
 */
export function deepspeedInitialize(record: (call: ShardingCall) => void): BuiltinValue {
  return builtin('deepspeed.initialize', (args, site) => {
    const module = args.keywords.get('model') ?? args.positional[1] ?? NONE;
    const config = args.keywords.get('config') ?? args.keywords.get('config_params');
    const engine = module;
    const result: PyValue = { kind: 'tuple', items: [engine, unknown(site, 'the DeepSpeed optimizer'), unknown(site, 'the DeepSpeed data loader'), unknown(site, 'the DeepSpeed scheduler')] };
    if (!config || config.kind !== 'dict') {
      record({ module, site, note: `DeepSpeed config ${config ? describe(config) : 'not given'} is not read (a dict written in the file is): the memlens.zero, memlens.offload and memlens.gradientAccumulation settings apply` });
      return result;
    }
    const zeroDict = config.entries.get('zero_optimization');
    const stageValue = zeroDict?.kind === 'dict' ? zeroDict.entries.get('stage') : undefined;
    const stage = stageValue === undefined ? 0 : intOf(stageValue);
    const k = config.entries.get('gradient_accumulation_steps');
    const steps = k === undefined ? undefined : intOf(k);
    if (stage === undefined || stage < 0 || stage > 3 || (k !== undefined && (steps === undefined || steps < 1)) || isUnknown(stageValue ?? NONE)) {
      record({ module, site, note: 'DeepSpeed zero_optimization.stage or gradient_accumulation_steps is not a known integer in range: the memlens settings apply' });
      return result;
    }
    const device = (key: string): string | undefined => {
      const d = zeroDict?.kind === 'dict' ? zeroDict.entries.get(key) : undefined;
      const v = d?.kind === 'dict' ? d.entries.get('device') : undefined;
      return v?.kind === 'str' ? v.value : undefined;
    };
    // ZeRO-Offload moves the optimizer state; offload_param (stage 3) the parameters too
    const offload: Offload = device('offload_optimizer') === 'cpu' || device('offload_param') === 'cpu' ? 'cpu' : 'none';
    const zero = stage as ZeroStage;
    const note = `DeepSpeed ZeRO stage ${zero}${offload === 'cpu' ? ' with CPU offload' : ''}${steps !== undefined ? `, ${steps} gradient accumulation steps` : ''}, over memlens.devices devices (the world size is a run-time value: set memlens.devices, CLI --devices)`;
    record({ module, zero, offload, ...(steps !== undefined ? { gradientAccumulation: steps } : {}), site, note });
    return result;
  });
}
