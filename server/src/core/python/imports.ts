// Local imports: `from model import Net`, `from .blocks import Bottleneck`, read from disk (or
// an open editor's text) next to the importing file, parsed and evaluated once per analysis.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDocument } from '../tfjs/parse';
import { copyTree, PUNCTUATION, type SyntaxNode as Node } from '../tfjs/syntax';
import type { ReadFile } from '../sourceFiles';


/**
 * memlens' own Python descriptions of library models (torchvision): next to the bundle
 * (dist/library) or, run from source, beside this file.
 */
export const LIBRARY_DIR = [join(__dirname, 'library'), join(__dirname, 'python', 'library')].find((d) => existsSync(d)) ?? join(__dirname, 'library');

/** the file a (possibly relative) module path names, seen from `fromFile` */
export function resolveModule(path: string, level: number, fromFile: string, read: ReadFile): { file: string; text: string } | undefined {
  let base = dirname(fromFile);
  for (let i = 1; i < level; i++) base = dirname(base);
  const parts = path ? path.split('.') : [];
  // an absolute import is also looked for from the folders above (`from mingpt.utils import CfgNode`
  // inside mingpt/model.py: the repository root is on sys.path when the code runs), a few levels up
  const bases = [base];
  if (level === 0) for (let up = dirname(base), k = 0; k < ABSOLUTE_IMPORT_LEVELS && up !== bases[bases.length - 1]; up = dirname(up), k++) bases.push(up);
  for (const dir of bases) {
    const stem = join(dir, ...parts);
    for (const file of parts.length > 0 ? [`${stem}.py`, join(stem, '__init__.py')] : [join(stem, '__init__.py')]) {
      const text = read(file);
      if (text !== undefined) return { file, text };
    }
  }
  return undefined;
}

/** how many folders above a file an absolute import is looked for */
const ABSOLUTE_IMPORT_LEVELS = 3;

/** the Python grammar's slices need their colons; the rest of the punctuation is never read */
export const PYTHON_SKIPPED: ReadonlySet<string> = new Set([...PUNCTUATION].filter((p) => p !== ':'));

/** the top-level statements of an imported file; its tree is kept under its path for re-parsing */
export function parseModule(file: string, text: string): readonly Node[] | undefined {
  const parsed = parseDocument(text, 'python', `import:${file}`);
  if (!parsed) return undefined;
  const { root, cache } = copyTree(parsed.tree, text, parsed.statements, PYTHON_SKIPPED);
  parsed.keepStatements(cache);
  return root.namedChildren.filter((c) => c.type !== 'comment');
}
