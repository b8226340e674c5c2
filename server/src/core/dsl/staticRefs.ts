// Refs that exist without elaboration: block names, config keys, and the names used inside
// blocks that no model expands (so go-to-definition works in a block still being written).
import type { BlockItem, ConfigItem, Expr, Ident, NnmFile } from './ast';
import type { RefCollector } from './refs';

export function addStaticRefs(file: NnmFile, refs: RefCollector, expanded: ReadonlySet<string>): void {
  const blocks = new Map<string, Ident>();
  for (const item of file.items) if (item.kind === 'block' && item.name.name !== '' && !blocks.has(item.name.name)) blocks.set(item.name.name, item.name);
  const configRefs = (item: ConfigItem) => {
    for (const e of item.entries) refs.add(undefined, 'config', e.key.name, e.key, e.key, true);
  };
  for (const item of file.items) {
    if (item.kind === 'config') configRefs(item);
    else if (item.kind === 'model') {
      for (const s of item.body) if (s.kind === 'config') configRefs(s);
    } else if (item.name.name !== '') {
      refs.add(undefined, 'block', item.name.name, item.name, item.name, true);
      if (!expanded.has(item.name.name)) unexpandedBlock(item, refs, blocks);
    }
  }
}

/** resolve names in a block body by scope alone: parameters, then each statement's name */
function unexpandedBlock(block: BlockItem, refs: RefCollector, blocks: ReadonlyMap<string, Ident>): void {
  const scope = new Map<string, { def: Ident; param: boolean }>();
  for (const p of block.params) {
    refs.add(undefined, 'parameter', p.name.name, p.name, p.name, true);
    if (p.default) walk(p.default, scope, refs, blocks);
    scope.set(p.name.name, { def: p.name, param: true });
  }
  for (const s of block.body) {
    if (s.kind === 'config') continue;
    walk(s.value, scope, refs, blocks);
    if (s.kind === 'assign') {
      refs.add(undefined, 'tensor', s.name.name, s.name, s.name, true);
      scope.set(s.name.name, { def: s.name, param: false });
    }
  }
}

function walk(e: Expr, scope: ReadonlyMap<string, { def: Ident; param: boolean }>, refs: RefCollector, blocks: ReadonlyMap<string, Ident>): void {
  // explicit stack: expressions are at most a few hundred levels deep, but no recursion is needed
  const stack: Expr[] = [e];
  while (stack.length > 0) {
    const x = stack.pop()!;
    switch (x.kind) {
      case 'ident': {
        const b = scope.get(x.name);
        if (b) refs.add(undefined, b.param ? 'parameter' : 'tensor', x.name, x, b.def, false);
        break;
      }
      case 'call': {
        const def = blocks.get(x.callee.name);
        if (def) refs.add(undefined, 'block', x.callee.name, x.callee, def, false);
        for (const v of x.values) stack.push(v);
        break;
      }
      case 'repeat':
        stack.push(x.count, x.call);
        break;
      case 'unary':
        stack.push(x.operand);
        break;
      case 'binary':
        stack.push(x.left, x.right);
        break;
      case 'ternary':
        stack.push(x.cond, x.then, x.otherwise);
        break;
      case 'list':
        stack.push(...x.items);
        break;
      default:
        break;
    }
  }
}
