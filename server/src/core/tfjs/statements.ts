// A small abstract interpreter over the tree-sitter syntax tree: it evaluates the subset of
// TypeScript that builds TensorFlow.js models (constants, arithmetic, arrays, objects, local
// function calls, loops with a static trip count) and records layers, tensors and models.
// It never runs user code; whatever depends on run-time values becomes an `unknown`.
// This file: statements and control flow (branches, loop unrolling, taint); as the top layer it defines `Interpreter`.
import type { SyntaxNode as Node } from './syntax';
import { Scope, UNDEFINED, unknown, type Value } from './values';
import { assignsTfjsPackage, containsModelCall, identifiersIn, isAssignmentTarget, isModelMutation, named, strictEqual, truthy } from './staticValues';
import { BreakSignal, LIMITS, ReturnSignal } from './interpreterState';
import { CallEvaluator } from './calls';

/** what a reason says when a branch, switch or loop is tainted by a value known only at run time */
const RUNTIME_WRAPPERS = ['this branch depends on a run-time condition', 'this switch depends on a run-time value', "this loop's trip count is not statically known", "this loop's items are not statically known"];

/**
 * `wrapper (reason)`, with the reason's own wrappers taken off: a variable set in a tainted branch
 * is unknown for the taint's message, and a loop that tests it again wrapped it once more per
 * iteration (10,000 nested wrappers, gigabytes of messages: a fuzzer's case that exhausted the heap)
 */
export function runtimeReason(wrapper: string, reason: string): string {
  let inner = reason;
  for (;;) {
    const outer = RUNTIME_WRAPPERS.find((w) => inner.startsWith(`${w} (`) && inner.endsWith(')'));
    if (!outer) return `${wrapper} (${inner})`;
    inner = inner.slice(outer.length + 2, -1);
  }
}

export class Interpreter extends CallEvaluator {
  execBlock(statements: readonly Node[], scope: Scope): void {
    for (const s of statements) this.hoist(s, scope);
    for (const s of statements) this.exec(s, scope);
  }

  /** function declarations are visible before their statement */
  hoist(node: Node, scope: Scope): void {
    const decl = node.type === 'export_statement' ? node.childForFieldName('declaration') : node;
    if (decl && (decl.type === 'function_declaration' || decl.type === 'generator_function_declaration')) {
      const name = decl.childForFieldName('name')?.text;
      if (name) scope.declare(name, { value: { kind: 'function', name, node: decl, closure: scope }, isConst: true, node: decl });
    }
  }

  exec(node: Node, scope: Scope): void {
    this.tick(node);
    switch (node.type) {
      case 'lexical_declaration':
      case 'variable_declaration': {
        const isConst = node.child(0)?.type === 'const';
        for (const d of node.namedChildren) if (d?.type === 'variable_declarator') this.declare(d, scope, isConst);
        return;
      }
      case 'expression_statement': {
        const e = node.namedChild(0);
        if (e) this.eval(e, scope);
        return;
      }
      case 'statement_block':
        this.execBlock(named(node), new Scope(scope));
        return;
      case 'if_statement':
        return this.execIf(node, scope);
      case 'for_statement':
        return this.execFor(node, scope);
      case 'for_in_statement':
        return this.execForIn(node, scope);
      case 'while_statement':
        return this.execWhile(node, scope);
      case 'do_statement':
        this.taint(node, node.childForFieldName('condition') ?? node, 'a do-while loop is not unrolled', scope);
        return;
      case 'return_statement': {
        const e = node.namedChild(0);
        throw new ReturnSignal(e ? this.eval(e, scope) : UNDEFINED);
      }
      case 'throw_statement':
        throw new ReturnSignal(unknown(node, 'the function throws here'));
      case 'break_statement':
        if (node.namedChildCount > 0) return this.taint(node, node, 'a labelled break is not followed', scope);
        throw new BreakSignal(false);
      case 'continue_statement':
        if (node.namedChildCount > 0) return this.taint(node, node, 'a labelled continue is not followed', scope);
        throw new BreakSignal(true);
      case 'export_statement': {
        const decl = node.childForFieldName('declaration');
        if (decl) return this.exec(decl, scope);
        const value = node.childForFieldName('value');
        if (value) this.eval(value, scope);
        return;
      }
      case 'try_statement': {
        const body = node.childForFieldName('body');
        if (body) this.exec(body, scope);
        return;
      }
      case 'switch_statement':
        return this.execSwitch(node, scope);
      case 'class_declaration':
      case 'abstract_class_declaration': {
        const name = node.childForFieldName('name')?.text;
        if (name) scope.declare(name, { value: this.classValue(node, scope), isConst: true, node });
        return;
      }
      case 'labeled_statement':
      case 'with_statement':
        return this.taint(node, node, `a ${node.type.replace('_statement', '')} statement is not followed`, scope);
      default:
        // declarations of types, classes, imports, comments, empty statements: nothing to evaluate
        return;
    }
  }

  private declare(decl: Node, scope: Scope, isConst: boolean): void {
    const nameNode = decl.childForFieldName('name');
    const valueNode = decl.childForFieldName('value');
    if (!nameNode) return;
    const value = valueNode ? this.eval(valueNode, scope) : UNDEFINED;
    this.bindPattern(nameNode, value, scope, isConst, valueNode ?? nameNode);
  }

  private execIf(node: Node, scope: Scope): void {
    const wrapped = node.childForFieldName('condition');
    // diagnostics go on the condition itself, not its parentheses
    const condNode = wrapped?.type === 'parenthesized_expression' ? (wrapped.namedChild(0) ?? wrapped) : wrapped;
    const cond = condNode ? this.eval(condNode, scope) : UNDEFINED;
    const consequence = node.childForFieldName('consequence');
    const alternative = node.childForFieldName('alternative');
    const truth = truthy(cond);
    if (truth === undefined) {
      const reason = cond.kind === 'unknown' ? cond.reason : 'the condition is only known at run time';
      const message = runtimeReason('this branch depends on a run-time condition', reason);
      if (consequence) this.taint(consequence, condNode ?? node, message, scope);
      if (alternative) this.taint(alternative, condNode ?? node, message, scope);
      return;
    }
    const branch = truth ? consequence : alternative;
    if (!branch) return;
    if (branch.type === 'else_clause') {
      const inner = branch.namedChild(0);
      if (inner) this.exec(inner, scope);
    } else {
      this.exec(branch, scope);
    }
  }

  /**
   * `switch` with a static discriminant: the first case whose value is strictly equal (else
   * `default`) and every case after it until a `break`, as JavaScript falls through.
   */
  private execSwitch(node: Node, scope: Scope): void {
    const wrapped = node.childForFieldName('value');
    const discNode = wrapped?.type === 'parenthesized_expression' ? (wrapped.namedChild(0) ?? wrapped) : wrapped;
    const body = node.childForFieldName('body');
    if (!discNode || !body) return;
    const disc = this.eval(discNode, scope);
    const clauses = named(body).filter((c) => c.type === 'switch_case' || c.type === 'switch_default');
    const runtime = (cause: Node, reason: string): void => this.taint(body, cause, runtimeReason('this switch depends on a run-time value', reason), scope);
    if (disc.kind === 'unknown') return runtime(discNode, disc.reason);
    let start = -1;
    for (let i = 0; i < clauses.length && start < 0; i++) {
      const valueNode = clauses[i]!.childForFieldName('value');
      if (!valueNode) continue;
      const v = this.eval(valueNode, scope);
      if (v.kind === 'unknown') return runtime(valueNode, v.reason);
      const eq = strictEqual(disc, v);
      if (eq === undefined) return runtime(valueNode, 'a case memlens cannot compare');
      if (eq) start = i;
    }
    if (start < 0) start = clauses.findIndex((c) => c.type === 'switch_default');
    if (start < 0) return;
    // one block scope for the whole body, as in JavaScript
    const inner = new Scope(scope);
    const statements = clauses.flatMap((c) => caseBody(c));
    for (const s of statements) this.hoist(s, inner);
    try {
      for (const clause of clauses.slice(start)) for (const s of caseBody(clause)) this.exec(s, inner);
    } catch (signal) {
      // a `continue` belongs to the enclosing loop
      if (!(signal instanceof BreakSignal) || signal.isContinue) throw signal;
    }
  }

  private execFor(node: Node, scope: Scope): void {
    const loopScope = new Scope(scope);
    const init = node.childForFieldName('initializer');
    const condNode = node.childForFieldName('condition');
    const increment = node.childForFieldName('increment');
    const body = node.childForFieldName('body');
    if (init) {
      if (init.type === 'lexical_declaration' || init.type === 'variable_declaration') this.exec(init, loopScope);
      else if (init.type !== ';') this.eval(init, loopScope);
    }
    this.loop(body, loopScope, () => {
      if (!condNode || condNode.type === ';' || condNode.type === 'empty_statement') return { kind: 'bool', value: true };
      const c = condNode.type === 'expression_statement' ? condNode.namedChild(0) : condNode;
      return c ? this.eval(c, loopScope) : { kind: 'bool', value: true };
    }, condNode ?? node, () => {
      if (increment) this.eval(increment, loopScope);
    });
  }

  private execWhile(node: Node, scope: Scope): void {
    const condNode = node.childForFieldName('condition');
    const body = node.childForFieldName('body');
    this.loop(body, scope, () => (condNode ? this.eval(condNode, scope) : UNDEFINED), condNode ?? node, () => {});
  }

  /** unroll while the condition is statically known; otherwise the loop is reported */
  private loop(body: Node | null, scope: Scope, condition: () => Value, condNode: Node, step: () => void): void {
    for (let i = 0; ; i++) {
      const cond = condition();
      const truth = truthy(cond);
      if (truth === undefined) {
        const reason = cond.kind === 'unknown' ? cond.reason : 'its condition is only known at run time';
        if (body) this.taint(body, condNode, runtimeReason("this loop's trip count is not statically known", reason), scope);
        return;
      }
      if (!truth) return;
      if (i >= LIMITS.iterations) {
        this.notes.push({ node: condNode, message: `loop unrolling stopped after ${LIMITS.iterations} iterations`, code: 'limit' });
        if (body) this.taint(body, condNode, 'the loop runs past the unrolling limit', scope);
        return;
      }
      if (body) {
        try {
          this.exec(body, new Scope(scope));
        } catch (signal) {
          if (!(signal instanceof BreakSignal)) throw signal;
          if (!signal.isContinue) return;
        }
      }
      step();
    }
  }

  private execForIn(node: Node, scope: Scope): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const body = node.childForFieldName('body');
    const isOf = node.children.some((c) => c?.type === 'of');
    const isConst = node.children.some((c) => c?.type === 'const');
    const collection = right ? this.eval(right, scope) : UNDEFINED;
    let items: Value[] | undefined;
    if (collection.kind === 'array') items = isOf ? collection.items : collection.items.map((_, i) => ({ kind: 'string', value: String(i) }) as Value);
    else if (collection.kind === 'object' && !isOf) items = [...collection.props.keys()].map((k) => ({ kind: 'string', value: k }) as Value);
    if (!items || !left) {
      const reason = collection.kind === 'unknown' ? collection.reason : 'the collection is not a static array';
      if (body) this.taint(body, right ?? node, runtimeReason("this loop's items are not statically known", reason), scope);
      return;
    }
    for (const item of items.slice(0, LIMITS.iterations)) {
      const iterScope = new Scope(scope);
      this.bindPattern(left, item, iterScope, isConst, left);
      if (!body) continue;
      try {
        this.exec(body, iterScope);
      } catch (signal) {
        if (!(signal instanceof BreakSignal)) throw signal;
        if (!signal.isContinue) return;
      }
    }
  }

  /**
   * Code that runs an unknown number of times (or maybe not at all): every model it touches is
   * marked not analysable and every variable it assigns becomes unknown.
   */
  taint(region: Node, cause: Node, reason: string, scope: Scope): void {
    const u = unknown(cause, reason);
    let touched = false;
    let poisoned = false;
    for (const id of identifiersIn(region)) {
      const binding = scope.lookup(id.text);
      if (!binding) continue;
      const v = binding.value;
      if (v.kind === 'model' && isModelMutation(id)) {
        // the model's own diagnostic says why
        if (!v.poisoned) v.poisoned = u;
        poisoned = true;
      }
      // `tf = require('@tensorflow/tfjs-node-gpu')` under a run-time flag: every package is the same API
      if (v.kind === 'tf' && v.path === '' && assignsTfjsPackage(id)) continue;
      if (!binding.isConst && isAssignmentTarget(id)) {
        if (v.kind === 'tensor' || v.kind === 'array' || v.kind === 'layer' || v.kind === 'model') touched = true;
        binding.value = u;
      }
    }
    if (!poisoned && (touched || containsModelCall(region))) this.notes.push({ node: cause, message: reason, code: 'controlFlow' });
  }
}

/** the statements of a `case` or `default` clause */
function caseBody(clause: Node): Node[] {
  return clause.children.filter((c, i) => clause.fields[i] === 'body');
}
