// What the Python frontend hands back: the common result, plus its traces and module trees for
// tests, the quick fixes and the hover of models without an input.
import type { FrontendResult } from '../frontend';
import type { KerasBatchSite } from './kerasExamples';
import type { countParameters } from './modules';
import type { Trace } from './trace';
import type { Instance } from './values';
import type { SyntaxNode as Node } from '../tfjs/syntax';

export interface PythonAnalysis extends FrontendResult {
  readonly traces: readonly Trace[];
  /** counted parameters of each model the file builds, traced or not */
  /** where each Keras graph's batch is written, for the batch quick fix */
  readonly kerasBatchSites?: readonly KerasBatchSite[];
  /** where each model's FSDP sharding strategy is written (`ShardingStrategy.X`'s X), for the ZeRO quick fix */
  readonly strategySites?: readonly { readonly model: string; readonly name: Node }[];
  readonly modules: readonly { name: string; instance: Instance; counts: ReturnType<typeof countParameters>; /** why the counts are not known (a part memlens does not model): then they are no figure */ unknown?: string }[];
}
