// Diagnostics of a model's dtype conversions (`.double()`, `.half()`, `.to(torch.bfloat16)`): a
// part converted alone, an example of another dtype, and a float16 model torch cannot run on a CPU.
import { halfCpuError } from '../analysis/framework/pytorchHalf';
import { opAt } from '../graphObjects';
import type { CoreDiagnostic, DType, Graph, ModelConfig } from '../ir';
import { rangeOfNode } from '../tfjs/graphs';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { PY_CODES } from './codes';
import type { ModelConversion } from './moduleMembers';
import { collectModules } from './modules';
import type { Trace } from './trace';
import type { Instance } from './values';

const TORCH_NAME: Readonly<Partial<Record<DType, string>>> = { fp64: 'float64', fp32: 'float32', fp16: 'float16', bf16: 'bfloat16' };
const WHOLE: Readonly<Record<ModelConversion['precision'], string>> = { fp64: 'model.double()', fp16: 'model.half()', bf16: 'model.bfloat16()' };

/** the notes of a traced model's conversions, in the document `root` belongs to; `graph` is the model built in `config` */
export function conversionDiagnostics(trace: Trace, converted: ReadonlyMap<Instance, ModelConversion>, graph: Graph, config: ModelConfig, root: Node): CoreDiagnostic[] {
  const here = (n: Node): boolean => n.anchor.doc === root.anchor.doc;
  const out: CoreDiagnostic[] = [];
  // the model's precision is the one it had when it was called
  const whole = trace.conversion;
  for (const { module } of collectModules(trace.root)) {
    const part = converted.get(module);
    // a precision is the whole model's: a part converted alone (or to another dtype) is not modelled
    if (!part || module === trace.root || part.precision === whole?.precision || !here(part.site)) continue;
    out.push({ range: rangeOfNode(part.site), severity: 'info', code: PY_CODES.unresolved, message: `model '${trace.name}': memlens models ${TORCH_NAME[part.precision]} for a whole model (\`${WHOLE[part.precision]}\`); \`${part.site.text}\` converts a part of it, which is counted in the model's precision` });
  }
  // torch's layers raise on an input of another float dtype than their weights
  const modelDType: DType = whole?.precision ?? 'fp32';
  const other = trace.floatExamples.find((e) => e.dtype !== modelDType);
  if (other && here(other.site)) out.push({ range: rangeOfNode(other.site), severity: 'info', code: PY_CODES.unresolved, message: `model '${trace.name}': the example is ${TORCH_NAME[other.dtype]} and the model ${TORCH_NAME[modelDType]}; torch's layers raise on mixed dtypes (convert both alike); memlens analyses the model in its own precision` });
  // a half-precision model on torch's CPU: most float16 kernels do not exist there, bfloat16's transposed convolutions are plain ones
  const half = whole?.precision;
  if (whole && (half === 'fp16' || half === 'bf16') && config.precision === half && config.framework === 'pytorch' && config.device.kind === 'cpu') {
    const error = halfCpuError(graph, half, config.mode);
    if (error) {
      const at = here(whole.site) ? rangeOfNode(whole.site) : rangeOfNode(trace.callSite);
      const op = opAt(graph, error.op).op;
      const message = half === 'fp16' ? `torch 1.13 raises running this float16 model on a CPU: ${error.message} (its first ${op}); float16 needs a GPU (or bfloat16 / float32 on a CPU)` : `torch 1.13 on a CPU does not run this bfloat16 model as written: ${error.message} (its first ${op}); run it in float32 on a CPU`;
      out.push({ range: at, severity: 'error', code: PY_CODES.shape, message: `model '${trace.name}': ${message}` });
    }
  }
  return out;
}
