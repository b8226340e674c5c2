// Blocks as the elaboration looks them up, and what is wrong with a block before any expansion.
import type { CoreDiagnostic } from '../ir';
import { lookupOp } from '../ops/registry';
import type { BlockItem, Item } from './ast';
import { diag } from './codes';

/** the file's blocks by name (the first of a name), with the problems visible without expanding them */
export function collectBlocks(items: readonly Item[], diagnostics: CoreDiagnostic[]): Map<string, BlockItem> {
  const blocks = new Map<string, BlockItem>();
  for (const item of items) {
    if (item.kind !== 'block' || item.name.name === '') continue;
    const name = item.name.name;
    if (blocks.has(name)) {
      diagnostics.push(diag('duplicate', item.name.range, `block '${name}' is defined twice; the first definition is used`));
      continue;
    }
    if (lookupOp(name)) diagnostics.push(diag('duplicate', item.name.range, `block '${name}' hides the op '${name}'`, 'warning'));
    blocks.set(name, item);
    checkBlockBody(item, diagnostics);
  }
  return blocks;
}

/** problems of a block visible without expanding it */
function checkBlockBody(block: BlockItem, diagnostics: CoreDiagnostic[]): void {
  const seenParams = new Set<string>();
  for (const p of block.params) {
    if (seenParams.has(p.name.name)) diagnostics.push(diag('duplicate', p.name.range, `parameter '${p.name.name}' is declared twice`));
    seenParams.add(p.name.name);
  }
  let returned = false;
  for (const stmt of block.body) {
    if (stmt.kind === 'config') diagnostics.push(diag('configPlacement', stmt.keywordRange, "'config' belongs at file level or inside a model, not in a block"));
    else if (returned) {
      diagnostics.push(diag('unreachable', stmt.range, 'statement after return is never elaborated', 'warning'));
      break;
    } else if (stmt.kind === 'return') returned = true;
  }
  if (!returned) diagnostics.push(diag('blockNoReturn', block.name.range, `block '${block.name.name}' has no 'return'`));
}
