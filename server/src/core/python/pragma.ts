// `# memlens: input [N, 3, 224, 224]` (several shapes comma-separated, a dtype after a shape, N
// the batch axis) and `# memlens: build Net(upscale_factor=3)` on or above a class.
import type { CoreDiagnostic, DType } from '../ir';
import { rangeOfNode } from '../tfjs/graphs';
import { parseDocument } from '../tfjs/parse';
import { copyTree, type SyntaxNode as Node } from '../tfjs/syntax';
import { PY_CODES } from './codes';
import type { TensorValue } from './values';

export interface Pragma {
  readonly className: string;
  readonly classNode: Node;
  readonly comment: Node;
  readonly input: string;
  readonly build?: Node;
}

const DTYPES: Record<string, DType> = { float32: 'fp32', fp32: 'fp32', float16: 'fp16', fp16: 'fp16', bfloat16: 'bf16', bf16: 'bf16', int64: 'int64', long: 'int64', int32: 'int32', int8: 'int8', bool: 'bool' };

/** the pragmas of the module's top-level classes (decorated ones included) */
export function findPragmas(root: Node, _text: string): Pragma[] {
  const out: Pragma[] = [];
  const children = root.namedChildren;
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    const cls = c.type === 'class_definition' ? c : c.type === 'decorated_definition' ? c.childForFieldName('definition') : null;
    if (!cls || cls.type !== 'class_definition') continue;
    // comments right above the class, and the first comment inside its body
    const comments: Node[] = [];
    for (let j = i - 1; j >= 0 && children[j]!.type === 'comment'; j--) comments.push(children[j]!);
    const first = cls.childForFieldName('body')?.children.find((n) => n.type === 'comment');
    if (first) comments.push(first);
    let input: { text: string; node: Node } | undefined;
    let build: Node | undefined;
    for (const comment of comments) {
      const m = /^#\s*memlens:\s*(input|build)\s+(.+)$/.exec(comment.text.trim());
      if (!m) continue;
      if (m[1] === 'input') input ??= { text: m[2]!, node: comment };
      else build ??= parseExpression(m[2]!);
    }
    if (input) out.push({ className: cls.childForFieldName('name')!.text, classNode: cls, comment: input.node, input: input.text, ...(build ? { build } : {}) });
  }
  return out;
}

function parseExpression(source: string): Node | undefined {
  const parsed = parseDocument(source, 'python');
  if (!parsed) return undefined;
  try {
    const { root } = copyTree(parsed.tree, source);
    const stmt = root.namedChildren[0];
    return stmt?.type === 'expression_statement' ? stmt.namedChildren[0] : undefined;
  } finally {
    parsed.release();
  }
}

/** the example tensors a pragma declares; a problem goes to `diagnostics` */
export function pragmaInputs(pragma: Pragma, diagnostics: CoreDiagnostic[]): TensorValue[] | undefined {
  const out: TensorValue[] = [];
  const re = /\[([^\]]*)\]\s*([A-Za-z0-9]+)?/g;
  let m: RegExpExecArray | null;
  const bad = (why: string): undefined => {
    diagnostics.push({ range: rangeOfNode(pragma.comment), severity: 'warning', code: PY_CODES.pragma, message: `memlens input pragma: ${why}` });
    return undefined;
  };
  while ((m = re.exec(pragma.input))) {
    const dims = m[1]!.split(',').map((d) => d.trim());
    const batchAxis = dims.indexOf('N');
    if (batchAxis < 0 || dims.lastIndexOf('N') !== batchAxis) return bad(`[${m[1]}] needs exactly one N (the batch axis)`);
    const shape = dims.map((d) => (d === 'N' ? 1 : Number(d)));
    if (shape.some((d) => !Number.isInteger(d) || d < 1)) return bad(`[${m[1]}] has a dimension that is not a positive integer`);
    const dtype = m[2] ? DTYPES[m[2]] : 'fp32';
    if (!dtype) return bad(`unknown dtype '${m[2]}'`);
    out.push({ kind: 'tensor', shape, batchAxis, dtype, site: pragma.comment });
  }
  return out.length > 0 ? out : bad('write the input as `# memlens: input [N, 3, 224, 224]`');
}
