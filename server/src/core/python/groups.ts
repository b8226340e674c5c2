// A Python file's top-level statements split into groups that cannot affect one another, so that
// an edit re-evaluates only the group it touches (frontend.ts keeps each group's result between
// versions). Statements are linked by the names they read and bind: every statement that binds,
// mutates or reads a module-level name joins the group of the others that do. Definitions whose
// value nobody can change (an import of a library, a function or class nobody assigns attributes
// on, a constant of numbers and strings bound once) do not link their readers: they are evaluated
// again inside each group that reads them. Whatever the names cannot show (`globals()`, `exec`,
// a star import of a local module, attributes assigned on an imported module) puts the whole file
// in one group, as it was evaluated before groups existed.
import type { SyntaxNode as Node } from '../tfjs/syntax';

export interface StatementGroup {
  /** indices into the top-level statement list, ascending */
  readonly indices: readonly number[];
}

/** libraries whose modules memlens answers itself: importing them never reads a local file */
const LIBRARIES = new Set(['torch', 'torchvision', 'tensorflow', 'keras', 'numpy', 'math', 'collections', 'functools', 'typing', 'dataclasses', 'os', 'sys', 'argparse', 'einops', 'itertools', 'copy', 'random', 'time', 'logging', 'warnings', 'abc', 'enum', '__future__', 'torchinfo', 'torchsummary', 'inspect', 'operator', 'types', 're', 'json']);

/** names through which code reaches module-level bindings without naming them */
const DYNAMIC = new Set(['globals', 'locals', 'vars', 'eval', 'exec', '__import__', 'importlib', '__class__']);

/** node types whose bodies bind in a scope of their own */
const SCOPES = new Set(['function_definition', 'lambda', 'class_definition']);

/** expressions whose value is a number, string, tuple or library constant: immutable */
const CONSTANT_PARTS = new Set(['integer', 'float', 'string', 'string_start', 'string_content', 'string_end', 'escape_sequence', 'concatenated_string', 'true', 'false', 'none', 'unary_operator', 'binary_operator', 'parenthesized_expression', 'tuple', 'identifier', 'attribute', 'comment']);

interface Facts {
  readonly reads: ReadonlySet<string>;
  readonly binds: ReadonlySet<string>;
  /** names whose value the statement changes in place (`x.a = 1`, `x[0] = 1`) */
  readonly mutates: ReadonlySet<string>;
  readonly dynamic: boolean;
  /** a definition that may be evaluated again in each group reading it, if nothing else binds or mutates its name */
  readonly definition: 'library' | 'function' | 'class' | 'constant' | null;
  /** a star import of a library: every group gets it */
  readonly everywhere: boolean;
}

const factsCache = new WeakMap<Node, Facts>();

export function statementFacts(stmt: Node): Facts {
  let facts = factsCache.get(stmt);
  if (!facts) factsCache.set(stmt, (facts = computeFacts(stmt)));
  return facts;
}

function computeFacts(stmt: Node): Facts {
  const reads = new Set<string>();
  const binds = new Set<string>();
  const mutates = new Set<string>();
  let dynamic = false;
  let everywhere = false;
  let definition: Facts['definition'] = null;

  // iterative walks: a deeply nested expression must not exhaust the stack
  const readAll = (top: Node): void => {
    const stack = [top];
    for (let node = stack.pop(); node; node = stack.pop()) {
      const type = node.type;
      if (type === 'global_statement' || type === 'nonlocal_statement') for (const id of node.namedChildren) binds.add(id.text);
      // `x.name` and `f(name=...)` name no variable
      const skip = type === 'attribute' ? 'attribute' : type === 'keyword_argument' ? 'name' : null;
      const children = node.children;
      for (let i = 0; i < children.length; i++) {
        const c = children[i]!;
        if (skip && node.fields[i] === skip) {
          if (type === 'attribute' && c.text === 'modules' && children[0]!.text === 'sys') dynamic = true;
          continue;
        }
        if (c.type !== 'identifier') {
          if (c.isNamed) stack.push(c);
          continue;
        }
        const name = c.text;
        if (DYNAMIC.has(name)) dynamic = true;
        reads.add(name);
      }
    }
  };
  const rootName = (target: Node): string | undefined => {
    let t: Node | null = target;
    while (t && (t.type === 'attribute' || t.type === 'subscript')) t = t.childForFieldName(t.type === 'attribute' ? 'object' : 'value');
    return t?.type === 'identifier' ? t.text : undefined;
  };
  const bindTarget = (target: Node, depth = 0): void => {
    if (target.type === 'identifier') binds.add(target.text);
    else if (target.type === 'attribute' || target.type === 'subscript') {
      const root = rootName(target);
      if (root) mutates.add(root);
    } else if (depth > 64) dynamic = true;
    else for (const c of target.namedChildren) bindTarget(c, depth + 1);
  };
  // bindings in the module's own scope: not inside function, lambda or class bodies
  const bindAll = (top: Node): void => {
    const stack = [top];
    for (let node = stack.pop(); node; node = stack.pop()) {
      switch (node.type) {
        case 'assignment':
        case 'augmented_assignment':
        case 'for_statement':
        case 'for_in_clause': {
          const left = node.childForFieldName('left');
          if (left) bindTarget(left);
          break;
        }
        case 'as_pattern': {
          const alias = node.childForFieldName('alias');
          if (alias) bindTarget(alias.type === 'as_pattern_target' ? (alias.namedChildren[0] ?? alias) : alias);
          break;
        }
        case 'named_expression': {
          const name = node.childForFieldName('name');
          if (name) binds.add(name.text);
          break;
        }
        case 'delete_statement':
          for (const c of node.namedChildren) bindTarget(c);
          break;
        case 'function_definition':
        case 'class_definition': {
          const name = node.childForFieldName('name');
          if (name) binds.add(name.text);
          continue;
        }
      }
      if (!SCOPES.has(node.type)) stack.push(...node.namedChildren);
    }
  };

  if (stmt.type === 'import_statement' || stmt.type === 'import_from_statement' || stmt.type === 'future_import_statement') {
    const moduleNode = stmt.childForFieldName('module_name');
    const modules = stmt.type === 'import_from_statement' ? [moduleNode?.text ?? ''] : stmt.namedChildren.map((c) => (c.type === 'aliased_import' ? c.childForFieldName('name')?.text ?? '' : c.text));
    const library = stmt.type === 'future_import_statement' || modules.every((m) => LIBRARIES.has(m.split('.')[0] ?? ''));
    const star = stmt.namedChildren.some((c) => c.type === 'wildcard_import');
    if (star && !library) dynamic = true;
    everywhere = star && library;
    for (const c of stmt.namedChildren) {
      if (c === moduleNode) continue;
      if (c.type === 'aliased_import') binds.add(c.childForFieldName('alias')?.text ?? '');
      else if (c.type === 'dotted_name') binds.add(stmt.type === 'import_statement' ? (c.text.split('.')[0] ?? '') : c.text);
    }
    return { reads, binds, mutates, dynamic, definition: library ? 'library' : null, everywhere };
  }
  readAll(stmt);
  bindAll(stmt);
  const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
  if (def?.type === 'function_definition' && constantDefaults(def)) definition = 'function';
  else if (def?.type === 'class_definition' && immutableClassBody(def)) definition = 'class';
  else if (isConstantAssignment(stmt)) definition = 'constant';
  return { reads, binds, mutates, dynamic, definition, everywhere };
}

/** (a constant nested deeper than any real one is treated as not constant: no deep recursion) */
function onlyConstantParts(node: Node, depth = 0): boolean {
  return depth < 64 && CONSTANT_PARTS.has(node.type) && node.namedChildren.every((c) => onlyConstantParts(c, depth + 1));
}

/** `X = 3`, `SIZE = (3, 32, 32)`, `N = 2 * K`: one name, a value of numbers, strings and names */
function isConstantAssignment(stmt: Node): boolean {
  if (stmt.type !== 'expression_statement' || stmt.namedChildren.length !== 1) return false;
  const a = stmt.namedChildren[0]!;
  const left = a.childForFieldName('left');
  const right = a.childForFieldName('right');
  return a.type === 'assignment' && left?.type === 'identifier' && right !== null && onlyConstantParts(right);
}

/** a function whose defaults are constants: no object is shared between the calls of two groups */
function constantDefaults(def: Node): boolean {
  const params = def.childForFieldName('parameters');
  return (params?.namedChildren ?? []).every((p) => {
    const value = p.childForFieldName('value');
    return !value || onlyConstantParts(value);
  });
}

/** a class body of methods, docstrings and constants: no class attribute that instances could share and change */
function immutableClassBody(def: Node): boolean {
  const body = def.childForFieldName('body');
  return (body?.namedChildren ?? []).every((s) => {
    if (s.type === 'comment' || s.type === 'pass_statement') return true;
    if (s.type === 'function_definition') return constantDefaults(s);
    if (s.type === 'decorated_definition') return s.childForFieldName('definition')?.type === 'function_definition';
    if (s.type === 'expression_statement' && s.namedChildren.length === 1 && s.namedChildren[0]!.type === 'string') return true;
    return isConstantAssignment(s);
  });
}

/**
 * The groups of `statements` (top-level, comments excluded); `pinned` names classes that must stay
 * with every statement using them (a pragma's class: its trace depends on whether the file calls it).
 */
export function groupStatements(statements: readonly Node[], pinned: ReadonlySet<string> = new Set()): StatementGroup[] {
  const facts = statements.map(statementFacts);
  const whole = (): StatementGroup[] => [{ indices: statements.map((_, i) => i) }];
  if (facts.some((f) => f.dynamic)) return whole();
  const bindersOf = new Map<string, number[]>();
  facts.forEach((f, i) => {
    for (const n of f.binds) {
      const list = bindersOf.get(n);
      if (list) list.push(i);
      else bindersOf.set(n, [i]);
    }
  });
  const mutated = new Set(facts.flatMap((f) => [...f.mutates]));
  // attributes set on an imported library (`torch.backends.x = ...`) or on a setattr target are not followed by name
  for (const f of facts) if (f.definition === 'library' && [...f.binds].some((n) => mutated.has(n))) return whole();
  if (facts.some((f) => f.reads.has('setattr'))) return whole();
  const shareable = facts.map((f) => f.everywhere || (f.definition !== null && f.binds.size > 0 && [...f.binds].every((n) => bindersOf.get(n)!.length === 1 && !mutated.has(n) && !pinned.has(n))));

  // union-find over the statements that are not shared definitions
  const parent = statements.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const union = (a: number, b: number): void => {
    parent[find(a)] = find(b);
  };
  // the shared definitions a name leads to, and the other statements behind them
  const closure = new Map<number, { shared: Set<number>; linked: Set<number> }>();
  const reach = (i: number): { shared: Set<number>; linked: Set<number> } => {
    let c = closure.get(i);
    if (c) return c;
    c = { shared: new Set(), linked: new Set() };
    closure.set(i, c);
    for (const name of [...facts[i]!.reads, ...facts[i]!.mutates]) {
      for (const b of bindersOf.get(name) ?? []) {
        if (b === i) continue;
        if (!shareable[b]) {
          c.linked.add(b);
          continue;
        }
        c.shared.add(b);
        const sub = reach(b);
        for (const s of sub.shared) c.shared.add(s);
        for (const l of sub.linked) c.linked.add(l);
      }
    }
    return c;
  };
  // a shared definition nobody reads is not evaluated: an import, a def, a class body of methods
  // and constants, or a constant makes nothing and says nothing on its own
  const owners = statements.map((_, i) => i).filter((i) => !shareable[i]);
  for (const i of owners) {
    for (const l of reach(i).linked) union(i, l);
    for (const n of facts[i]!.binds) for (const b of bindersOf.get(n) ?? []) if (!shareable[b]) union(i, b);
  }
  const everywhere = facts.flatMap((f, i) => (f.everywhere ? [i] : []));
  const members = new Map<number, { first: number; set: Set<number> }>();
  for (const i of owners) {
    const root = find(i);
    let group = members.get(root);
    if (!group) members.set(root, (group = { first: i, set: new Set(everywhere) }));
    group.set.add(i);
    for (const s of reach(i).shared) group.set.add(s);
  }
  // in the order of each group's first statement of its own: the order its models were made in
  return [...members.values()].sort((a, b) => a.first - b.first).map((g) => ({ indices: [...g.set].sort((a, b) => a - b) }));
}
