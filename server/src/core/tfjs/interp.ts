// A small abstract interpreter over the tree-sitter syntax tree: it evaluates the subset of
// TypeScript that builds TensorFlow.js models (constants, arithmetic, arrays, objects, local
// function calls, loops with a static trip count) and records layers, tensors and models.
// It never runs user code; whatever depends on run-time values becomes an `unknown`.
import type { SyntaxNode as Node } from './syntax';
import {
  num,
  Scope,
  UNDEFINED,
  unknown,
  type FunctionValue,
  type LayerObject,
  type ModelObject,
  type ObjectValue,
  type SymbolicTensor,
  type Unknown,
  type Value,
} from './values';
import {
  parameterNodes,
  parameterName,
  asIdentifier,
  identifiersIn,
  isAssignmentTarget,
  isModelMutation,
  containsModelCall,
  statementOf,
  propertyKey,
  parseNumber,
  primitiveText,
  looseEqual,
  member,
} from './staticValues';
import { isTfjsPackage, named, stringValue, truthy } from './staticValues';

export { isTfjsPackage, named, stringValue, truthy };

/** limits that keep the interpreter finite on any input */
export const LIMITS = {
  /** expression and statement evaluations per document */
  steps: 1_000_000,
  /** iterations of one unrolled loop */
  iterations: 10_000,
  /** nested calls of local functions */
  callDepth: 48,
  /** nested expressions */
  exprDepth: 400,
};

export class ReturnSignal {
  constructor(readonly value: Value) {}
}
export class BreakSignal {
  constructor(readonly isContinue: boolean) {}
}
/** the step budget ran out: evaluation of the current entry stops */
export class LimitSignal {
  constructor(
    readonly node: Node,
    readonly message: string,
  ) {}
}

/** a note for the user that is not tied to a model's layers (control flow, limits) */
export interface Note {
  readonly node: Node;
  readonly message: string;
  readonly code: 'controlFlow' | 'limit' | 'unresolved' | 'unsupported';
}

const MATH_FUNCTIONS: Readonly<Record<string, (...xs: number[]) => number>> = {
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  trunc: Math.trunc,
  abs: Math.abs,
  sqrt: Math.sqrt,
  pow: Math.pow,
  max: Math.max,
  min: Math.min,
  log2: Math.log2,
};

/**
 * Creation order of layers, tensors and models. One counter for the process, so that values
 * made by different interpreters of a document (top level, each function) never collide.
 */
let serialCounter = 0;
function nextSerial(): number {
  return serialCounter++;
}

export class Interpreter {
  /** shared by every interpreter of one document: the step budget */
  constructor(private readonly budget: { steps: number } = { steps: 0 }) {}
  private callDepth = 0;
  private exprDepth = 0;
  readonly models: ModelObject[] = [];
  readonly notes: Note[] = [];
  /** functions (by start index) that were called during evaluation */
  readonly invoked = new Set<Node>();
  /** names given to symbolic tensors by the variables they were bound to */
  readonly tensorNames = new Map<number, { name: string; node: Node }>();
  /** name of the function whose body is being evaluated, for unnamed models */
  private functionName: string | undefined;

  // ---------- statements ----------

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

  /** bind an identifier or a destructuring pattern */
  bindPattern(pattern: Node, value: Value, scope: Scope, isConst: boolean, source: Node): void {
    switch (pattern.type) {
      case 'identifier':
      case 'shorthand_property_identifier_pattern': {
        const name = pattern.text;
        this.nameValue(value, name, pattern);
        scope.declare(name, { value, isConst, node: pattern });
        return;
      }
      case 'object_pattern':
        for (const p of named(pattern)) {
          if (p.type === 'shorthand_property_identifier_pattern') {
            this.bindPattern(asIdentifier(p), member(value, p.text, p), scope, isConst, source);
          } else if (p.type === 'pair_pattern') {
            const key = propertyKey(p.childForFieldName('key'));
            const target = p.childForFieldName('value');
            if (target && key !== undefined) this.bindPattern(target, member(value, key, p), scope, isConst, source);
          } else if (p.type === 'object_assignment_pattern') {
            const left = p.childForFieldName('left');
            const right = p.childForFieldName('right');
            if (!left) continue;
            let v = member(value, left.text, p);
            if (v.kind === 'null' && right) v = this.eval(right, scope);
            this.bindPattern(left.type === 'shorthand_property_identifier_pattern' ? asIdentifier(left) : left, v, scope, isConst, source);
          } else {
            for (const id of identifiersIn(p)) scope.declare(id.text, { value: unknown(source, 'a rest pattern is not followed'), isConst, node: id });
          }
        }
        return;
      case 'array_pattern': {
        let i = 0;
        for (const p of named(pattern)) {
          const item = value.kind === 'array' ? (value.items[i] ?? UNDEFINED) : value.kind === 'unknown' ? value : unknown(source, 'not an array');
          if (p.type === 'assignment_pattern') {
            const left = p.childForFieldName('left');
            const right = p.childForFieldName('right');
            const v = item.kind === 'null' && right ? this.eval(right, scope) : item;
            if (left) this.bindPattern(left, v, scope, isConst, source);
          } else if (p.type === 'rest_pattern') {
            const target = p.namedChild(0);
            const rest: Value = value.kind === 'array' ? { kind: 'array', items: value.items.slice(i) } : item;
            if (target) this.bindPattern(target, rest, scope, isConst, source);
          } else {
            this.bindPattern(p, item, scope, isConst, source);
          }
          i++;
        }
        return;
      }
      case 'assignment_pattern': {
        const left = pattern.childForFieldName('left');
        const right = pattern.childForFieldName('right');
        const v = value.kind === 'null' && right ? this.eval(right, scope) : value;
        if (left) this.bindPattern(left, v, scope, isConst, source);
        return;
      }
      default:
        for (const id of identifiersIn(pattern)) scope.declare(id.text, { value: unknown(source, 'a destructuring pattern that memlens does not follow'), isConst, node: id });
    }
  }

  /** a model or tensor bound to a variable takes its name */
  private nameValue(value: Value, name: string, node: Node): void {
    if (value.kind === 'model' && value.name === undefined) {
      value.name = name;
      value.nameNode = node;
    } else if (value.kind === 'tensor') {
      this.tensorNames.set(value.serial, { name, node });
    }
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
      if (consequence) this.taint(consequence, condNode ?? node, `this branch depends on a run-time condition (${reason})`, scope);
      if (alternative) this.taint(alternative, condNode ?? node, `this branch depends on a run-time condition (${reason})`, scope);
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
    this.loop(node, body, loopScope, () => {
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
    this.loop(node, body, scope, () => (condNode ? this.eval(condNode, scope) : UNDEFINED), condNode ?? node, () => {});
  }

  /** unroll while the condition is statically known; otherwise the loop is reported */
  private loop(node: Node, body: Node | null, scope: Scope, condition: () => Value, condNode: Node, step: () => void): void {
    for (let i = 0; ; i++) {
      const cond = condition();
      const truth = truthy(cond);
      if (truth === undefined) {
        const reason = cond.kind === 'unknown' ? cond.reason : 'its condition is only known at run time';
        if (body) this.taint(body, condNode, `this loop's trip count is not statically known (${reason})`, scope);
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
    void node;
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
      if (body) this.taint(body, right ?? node, `this loop's items are not statically known (${reason})`, scope);
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
      if (!binding.isConst && isAssignmentTarget(id)) {
        if (v.kind === 'tensor' || v.kind === 'array' || v.kind === 'layer' || v.kind === 'model') touched = true;
        binding.value = u;
      }
    }
    if (!poisoned && (touched || containsModelCall(region))) this.notes.push({ node: cause, message: reason, code: 'controlFlow' });
  }

  // ---------- expressions ----------

  private tick(node: Node): void {
    if (++this.budget.steps > LIMITS.steps) throw new LimitSignal(node, `memlens stopped evaluating after ${LIMITS.steps} steps`);
  }

  eval(node: Node, scope: Scope): Value {
    this.tick(node);
    if (++this.exprDepth > LIMITS.exprDepth) {
      this.exprDepth--;
      return unknown(node, 'the expression is nested too deeply');
    }
    try {
      return this.evalInner(node, scope);
    } finally {
      this.exprDepth--;
    }
  }

  private evalInner(node: Node, scope: Scope): Value {
    switch (node.type) {
      case 'number':
        return parseNumber(node);
      case 'string':
        return { kind: 'string', value: stringValue(node) };
      case 'template_string':
        if (node.namedChildren.some((c) => c?.type === 'template_substitution')) return unknown(node, 'a template string with substitutions');
        return { kind: 'string', value: node.text.slice(1, -1) };
      case 'true':
        return { kind: 'bool', value: true };
      case 'false':
        return { kind: 'bool', value: false };
      case 'null':
      case 'undefined':
        return UNDEFINED;
      case 'identifier':
      case 'shorthand_property_identifier':
        return this.lookup(node, scope);
      case 'this':
        return scope.lookup('this')?.value ?? unknown(node, "'this' is only known at run time");
      case 'parenthesized_expression':
      case 'as_expression':
      case 'satisfies_expression':
      case 'non_null_expression':
      case 'await_expression': {
        const inner = node.namedChild(0);
        return inner ? this.eval(inner, scope) : UNDEFINED;
      }
      case 'type_assertion': {
        const inner = node.namedChild(node.namedChildCount - 1);
        return inner ? this.eval(inner, scope) : UNDEFINED;
      }
      case 'array':
        return this.evalArray(node, scope);
      case 'object':
        return this.evalObject(node, scope);
      case 'member_expression': {
        const objNode = node.childForFieldName('object');
        const prop = node.childForFieldName('property');
        if (!objNode || !prop) return unknown(node, 'an incomplete expression');
        if (objNode.type === 'identifier' && objNode.text === 'Math' && !scope.lookup('Math')) return { kind: 'tf', path: `#Math.${prop.text}` };
        return member(this.eval(objNode, scope), prop.text, node);
      }
      case 'subscript_expression':
        return this.evalSubscript(node, scope);
      case 'binary_expression':
        return this.evalBinary(node, scope);
      case 'unary_expression':
        return this.evalUnary(node, scope);
      case 'ternary_expression': {
        const cond = this.evalField(node, 'condition', scope);
        const truth = truthy(cond);
        if (truth === undefined) return cond.kind === 'unknown' ? unknown(node, cond.reason) : unknown(node, 'a condition only known at run time');
        return this.evalField(node, truth ? 'consequence' : 'alternative', scope);
      }
      case 'assignment_expression':
        return this.evalAssignment(node, scope);
      case 'augmented_assignment_expression':
        return this.evalAugmented(node, scope);
      case 'update_expression':
        return this.evalUpdate(node, scope);
      case 'arrow_function':
      case 'function_expression':
      case 'function':
      case 'generator_function':
        return { kind: 'function', name: node.childForFieldName('name')?.text ?? '<anonymous>', node, closure: scope };
      case 'call_expression':
        return this.evalCall(node, scope);
      case 'new_expression':
        return unknown(node, 'an object constructed at run time');
      case 'sequence_expression': {
        let last: Value = UNDEFINED;
        for (const c of named(node)) last = this.eval(c, scope);
        return last;
      }
      default:
        return unknown(node, 'an expression evaluated at run time');
    }
  }

  private evalField(node: Node, field: string, scope: Scope): Value {
    const child = node.childForFieldName(field);
    return child ? this.eval(child, scope) : unknown(node, 'an incomplete expression');
  }

  private lookup(node: Node, scope: Scope): Value {
    const name = node.text;
    const binding = scope.lookup(name);
    if (!binding) {
      if (name === 'undefined') return UNDEFINED;
      if (name === 'Infinity') return num(Infinity);
      if (name === 'NaN') return num(NaN);
      return unknown(node, `'${name}' is not defined in this file`);
    }
    const v = binding.value;
    // re-anchor at the use so the diagnostic sits on the expression the user wrote here
    if (v.kind === 'unknown') return v.node === node ? v : unknown(node, v.reason);
    return v;
  }

  private evalArray(node: Node, scope: Scope): Value {
    const items: Value[] = [];
    for (const c of named(node)) {
      if (c.type === 'spread_element') {
        const inner = c.namedChild(0);
        const v = inner ? this.eval(inner, scope) : UNDEFINED;
        if (v.kind === 'array') items.push(...v.items);
        else return unknown(c, v.kind === 'unknown' ? v.reason : 'a spread of a value that is not a static array');
      } else if (c.type !== 'comment') {
        items.push(this.eval(c, scope));
      }
    }
    return { kind: 'array', items };
  }

  private evalObject(node: Node, scope: Scope): ObjectValue {
    const props = new Map<string, Value>();
    const nodes = new Map<string, Node>();
    for (const c of named(node)) {
      if (c.type === 'pair') {
        const keyNode = c.childForFieldName('key');
        const valueNode = c.childForFieldName('value');
        let key = propertyKey(keyNode);
        if (keyNode?.type === 'computed_property_name') {
          const k = keyNode.namedChild(0) ? this.eval(keyNode.namedChild(0)!, scope) : UNDEFINED;
          key = k.kind === 'string' ? k.value : k.kind === 'number' ? String(k.value) : undefined;
        }
        if (key === undefined || !valueNode) continue;
        props.set(key, this.eval(valueNode, scope));
        nodes.set(key, valueNode);
      } else if (c.type === 'shorthand_property_identifier') {
        props.set(c.text, this.lookup(c, scope));
        nodes.set(c.text, c);
      } else if (c.type === 'spread_element') {
        const inner = c.namedChild(0);
        const v = inner ? this.eval(inner, scope) : UNDEFINED;
        if (v.kind === 'object') {
          for (const [k, pv] of v.props) {
            props.set(k, pv);
            nodes.set(k, v.nodes.get(k) ?? c);
          }
        }
      } else if (c.type === 'method_definition') {
        const name = propertyKey(c.childForFieldName('name'));
        if (name !== undefined) {
          props.set(name, { kind: 'function', name, node: c, closure: scope });
          nodes.set(name, c);
        }
      }
    }
    return { kind: 'object', props, nodes };
  }

  private evalSubscript(node: Node, scope: Scope): Value {
    const obj = this.evalField(node, 'object', scope);
    const index = this.evalField(node, 'index', scope);
    if (obj.kind === 'unknown') return obj;
    if (index.kind === 'unknown') return unknown(node, index.reason);
    if (obj.kind === 'array' && index.kind === 'number') {
      const i = index.value < 0 ? NaN : index.value;
      return obj.items[i] ?? UNDEFINED;
    }
    if (index.kind === 'string') return member(obj, index.value, node);
    if (index.kind === 'number') return member(obj, String(index.value), node);
    return unknown(node, 'an index memlens cannot follow');
  }

  private evalBinary(node: Node, scope: Scope): Value {
    const op = node.childForFieldName('operator')?.type ?? '';
    const left = this.evalField(node, 'left', scope);
    if (op === '&&' || op === '||' || op === '??') {
      const t = op === '??' ? (left.kind === 'unknown' ? undefined : left.kind !== 'null') : truthy(left);
      if (t === undefined) return left.kind === 'unknown' ? left : unknown(node, 'a condition only known at run time');
      if (op === '&&') return t ? this.evalField(node, 'right', scope) : left;
      return t ? left : this.evalField(node, 'right', scope);
    }
    const right = this.evalField(node, 'right', scope);
    if (left.kind === 'unknown') return unknown(node, left.reason);
    if (right.kind === 'unknown') return unknown(node, right.reason);
    if (op === '+' && (left.kind === 'string' || right.kind === 'string')) {
      const l = primitiveText(left);
      const r = primitiveText(right);
      return l !== undefined && r !== undefined ? { kind: 'string', value: l + r } : unknown(node, 'a string built at run time');
    }
    if (op === '===' || op === '==' || op === '!==' || op === '!=') {
      const eq = looseEqual(left, right);
      if (eq === undefined) return unknown(node, 'a comparison memlens cannot decide');
      return { kind: 'bool', value: op.startsWith('!') ? !eq : eq };
    }
    if (left.kind !== 'number' || right.kind !== 'number') return unknown(node, 'arithmetic on values that are not numbers');
    const a = left.value;
    const b = right.value;
    switch (op) {
      case '+':
        return num(a + b);
      case '-':
        return num(a - b);
      case '*':
        return num(a * b);
      case '/':
        return num(a / b);
      case '%':
        return num(a % b);
      case '**':
        return num(a ** b);
      case '<':
        return { kind: 'bool', value: a < b };
      case '<=':
        return { kind: 'bool', value: a <= b };
      case '>':
        return { kind: 'bool', value: a > b };
      case '>=':
        return { kind: 'bool', value: a >= b };
      case '<<':
        return num(a << b);
      case '>>':
        return num(a >> b);
      case '&':
        return num(a & b);
      case '|':
        return num(a | b);
      default:
        return unknown(node, `the operator ${op}`);
    }
  }

  private evalUnary(node: Node, scope: Scope): Value {
    const op = node.childForFieldName('operator')?.type ?? '';
    const v = this.evalField(node, 'argument', scope);
    if (v.kind === 'unknown') return unknown(node, v.reason);
    switch (op) {
      case '-':
        return v.kind === 'number' ? num(-v.value) : unknown(node, 'negation of a value that is not a number');
      case '+':
        return v.kind === 'number' ? v : unknown(node, 'a conversion at run time');
      case '!': {
        const t = truthy(v);
        return t === undefined ? unknown(node, 'a condition only known at run time') : { kind: 'bool', value: !t };
      }
      default:
        return unknown(node, `the operator ${op}`);
    }
  }

  private assign(target: Node, value: Value, scope: Scope): void {
    if (target.type === 'identifier') {
      const binding = scope.lookup(target.text);
      this.nameValue(value, target.text, target);
      if (binding) binding.value = value;
      else scope.declare(target.text, { value, isConst: false, node: target });
    } else if (target.type === 'member_expression') {
      // `this.model = tf.sequential()`: the model takes the property's name
      const prop = target.childForFieldName('property');
      if (prop && value.kind === 'model' && value.name === undefined) this.nameValue(value, prop.text, prop);
      const obj = target.childForFieldName('object');
      if ((obj?.type === 'identifier' || obj?.type === 'this') && prop) {
        const o = scope.lookup(obj.text)?.value;
        if (o?.kind === 'object') {
          o.props.set(prop.text, value);
          o.nodes.set(prop.text, target);
        }
      }
    } else if (target.type === 'array_pattern' || target.type === 'object_pattern') {
      this.bindPattern(target, value, scope, false, target);
    }
  }

  private evalAssignment(node: Node, scope: Scope): Value {
    const left = node.childForFieldName('left');
    const value = this.evalField(node, 'right', scope);
    if (left) this.assign(left, value, scope);
    return value;
  }

  private evalAugmented(node: Node, scope: Scope): Value {
    const left = node.childForFieldName('left');
    const op = node.childForFieldName('operator')?.type ?? '';
    if (!left) return UNDEFINED;
    const current = this.eval(left, scope);
    const right = this.evalField(node, 'right', scope);
    let result: Value;
    if (current.kind === 'number' && right.kind === 'number') {
      const a = current.value;
      const b = right.value;
      const table: Record<string, number> = { '+=': a + b, '-=': a - b, '*=': a * b, '/=': a / b, '%=': a % b, '**=': a ** b };
      result = op in table ? num(table[op]!) : unknown(node, `the operator ${op}`);
    } else if (op === '+=' && current.kind === 'string' && (right.kind === 'string' || right.kind === 'number')) {
      result = { kind: 'string', value: current.value + String(right.value) };
    } else {
      result = unknown(node, current.kind === 'unknown' ? current.reason : right.kind === 'unknown' ? right.reason : 'a value updated at run time');
    }
    this.assign(left, result, scope);
    return result;
  }

  private evalUpdate(node: Node, scope: Scope): Value {
    const arg = node.childForFieldName('argument');
    if (!arg) return UNDEFINED;
    const current = this.eval(arg, scope);
    const delta = node.text.includes('++') ? 1 : -1;
    const next = current.kind === 'number' ? num(current.value + delta) : unknown(node, current.kind === 'unknown' ? current.reason : 'a value updated at run time');
    this.assign(arg, next, scope);
    const prefix = node.child(0)?.type === '++' || node.child(0)?.type === '--';
    return prefix ? next : current;
  }

  // ---------- calls ----------

  private evalArgs(argsNode: Node | null, scope: Scope): { values: Value[]; nodes: Node[] } | Unknown {
    const values: Value[] = [];
    const nodes: Node[] = [];
    if (!argsNode) return { values, nodes };
    for (const c of named(argsNode)) {
      if (c.type === 'comment') continue;
      if (c.type === 'spread_element') {
        const inner = c.namedChild(0);
        const v = inner ? this.eval(inner, scope) : UNDEFINED;
        if (v.kind !== 'array') return unknown(c, v.kind === 'unknown' ? v.reason : 'a spread of a value that is not a static array');
        for (const item of v.items) {
          values.push(item);
          nodes.push(c);
        }
      } else {
        values.push(this.eval(c, scope));
        nodes.push(c);
      }
    }
    return { values, nodes };
  }

  private evalCall(node: Node, scope: Scope): Value {
    const fnNode = node.childForFieldName('function');
    const argsNode = node.childForFieldName('arguments');
    if (!fnNode) return unknown(node, 'an incomplete call');
    if (argsNode?.type === 'template_string') return unknown(node, 'a tagged template');
    // require('@tensorflow/tfjs')
    if (fnNode.type === 'identifier' && fnNode.text === 'require' && !scope.lookup('require')) {
      const arg = argsNode?.namedChild(0);
      if (arg?.type === 'string' && isTfjsPackage(stringValue(arg))) return { kind: 'tf', path: '' };
      return unknown(node, 'a module loaded at run time');
    }
    if (fnNode.type === 'import') return unknown(node, 'a module loaded at run time');
    const callee = this.eval(fnNode, scope);
    const args = this.evalArgs(argsNode, scope);
    if ('kind' in args) return args;
    if (callee.kind !== 'tf' && callee.kind !== 'method' && callee.kind !== 'function') {
      // a model handed to code memlens cannot follow may get its layers there
      for (const a of args.values) if (a.kind === 'model' && !a.escaped) a.escaped = unknown(node, `it is passed to ${fnNode.text}(), which memlens cannot follow`);
    }
    switch (callee.kind) {
      case 'tf':
        return this.callTf(callee.path, args.values, args.nodes, node);
      case 'method':
        return this.callMethod(callee.target, callee.name, args.values, args.nodes, node);
      case 'function': {
        // `obj.method()` runs with `this` = obj when obj is a static object (a class instance of ours)
        const receiver = fnNode.type === 'member_expression' ? fnNode.childForFieldName('object') : null;
        const self = receiver ? (receiver.type === 'this' ? scope.lookup('this')?.value : receiver.type === 'identifier' ? scope.lookup(receiver.text)?.value : undefined) : undefined;
        return this.callFunction(callee, args.values, node, self?.kind === 'object' ? self : undefined);
      }
      case 'unknown':
        return unknown(node, callee.reason);
      default:
        return unknown(node, 'the result of a call computed at run time');
    }
  }

  private callTf(path: string, args: Value[], argNodes: Node[], node: Node): Value {
    if (path.startsWith('#Math.')) {
      const fn = MATH_FUNCTIONS[path.slice(6)];
      if (!fn) return unknown(node, `${path.slice(1)} is computed at run time`);
      const xs: number[] = [];
      for (const a of args) {
        if (a.kind === 'unknown') return unknown(node, a.reason);
        if (a.kind !== 'number') return unknown(node, `${path.slice(1)} of a value that is not a number`);
        xs.push(a.value);
      }
      return num(fn(...xs));
    }
    const config = args[0];
    const configNode = argNodes[0];
    if (path === 'sequential') return this.newSequential(config, node);
    if (path === 'model') {
      const model = this.newModel('functional', node);
      if (config?.kind === 'object') {
        model.inputs = config.props.get('inputs') ?? unknown(configNode ?? node, 'tf.model needs inputs');
        model.outputs = config.props.get('outputs') ?? unknown(configNode ?? node, 'tf.model needs outputs');
      } else {
        model.poisoned = config?.kind === 'unknown' ? config : unknown(configNode ?? node, 'the config of tf.model is not a static object');
      }
      return model;
    }
    if (path === 'input' || path === 'layers.input') {
      const cfg = config?.kind === 'object' ? config : undefined;
      let shape: Value = cfg?.props.get('shape') ?? UNDEFINED;
      if (shape.kind === 'null' && cfg?.props.has('batchShape')) {
        const b = cfg.props.get('batchShape')!;
        shape = b.kind === 'array' ? { kind: 'array', items: b.items.slice(1) } : b;
      }
      if (config?.kind === 'unknown') shape = config;
      if (shape.kind === 'null') shape = unknown(configNode ?? node, 'tf.input needs a shape');
      const t: SymbolicTensor = { kind: 'tensor', serial: nextSerial(), producer: { kind: 'input', site: node, shape, dtype: cfg?.props.get('dtype') ?? UNDEFINED } };
      return t;
    }
    if (path.startsWith('layers.') && path.split('.').length === 2) {
      const layer: LayerObject = {
        kind: 'layer',
        serial: nextSerial(),
        type: path.slice('layers.'.length),
        config: config?.kind === 'object' || config?.kind === 'unknown' ? config : undefined,
        site: node,
        configNode,
      };
      return layer;
    }
    if (path.startsWith('train.')) {
      const name = path.slice('train.'.length);
      return { kind: 'optimizer', name, momentum: args[1] ?? UNDEFINED, centered: args[4] ?? UNDEFINED };
    }
    if (path === 'tidy') {
      const fn = args.find((a) => a.kind === 'function');
      if (fn?.kind === 'function') return this.callFunction(fn, [], node);
    }
    return unknown(node, `tf.${path} is computed at run time`);
  }

  private newModel(style: ModelObject['style'], site: Node): ModelObject {
    const model: ModelObject = { kind: 'model', serial: nextSerial(), style, site, layers: [], ...(this.functionName ? { scopeName: this.functionName } : {}) };
    this.models.push(model);
    return model;
  }

  private newSequential(config: Value | undefined, node: Node): ModelObject {
    const model = this.newModel('sequential', node);
    if (config === undefined || config.kind === 'null') return model;
    if (config.kind !== 'object') {
      model.poisoned = config.kind === 'unknown' ? config : unknown(node, 'the config of tf.sequential is not a static object');
      return model;
    }
    const layers = config.props.get('layers');
    if (layers === undefined || layers.kind === 'null') return model;
    if (layers.kind !== 'array') {
      model.poisoned = layers.kind === 'unknown' ? layers : unknown(config.nodes.get('layers') ?? node, 'the layers are not a static array');
      return model;
    }
    const listNode = config.nodes.get('layers');
    const itemNodes = listNode?.type === 'array' ? named(listNode).filter((n) => n.type !== 'comment') : [];
    layers.items.forEach((item, i) => {
      const itemNode = itemNodes.length === layers.items.length ? itemNodes[i]! : (listNode ?? node);
      if (item.kind === 'layer') model.layers.push({ layer: item, site: item.site, statement: itemNode });
      else if (!model.poisoned) model.poisoned = item.kind === 'unknown' ? item : unknown(itemNode, 'this element is not a tf.layers call memlens can follow');
    });
    return model;
  }

  private callMethod(target: ModelObject | LayerObject, name: string, args: Value[], argNodes: Node[], node: Node): Value {
    if (target.kind === 'layer') {
      if (name !== 'apply') return unknown(node, `layer.${name}() is computed at run time`);
      return this.applyLayer(target, args[0], argNodes[0], node);
    }
    const model = target;
    switch (name) {
      case 'add': {
        const layer = args[0];
        if (layer?.kind === 'layer') {
          model.layers.push({ layer, site: layer.site, statement: statementOf(node) });
        } else if (!model.poisoned) {
          model.poisoned = layer?.kind === 'unknown' ? layer : unknown(argNodes[0] ?? node, layer?.kind === 'model' ? 'a model nested in a sequential model is not supported by memlens yet' : 'the added value is not a tf.layers call memlens can follow');
        }
        return UNDEFINED;
      }
      case 'compile': {
        const cfg = args[0];
        if (cfg?.kind === 'object' && cfg.props.has('optimizer')) model.optimizer = { value: cfg.props.get('optimizer')!, node: cfg.nodes.get('optimizer')! };
        return UNDEFINED;
      }
      case 'fit':
      case 'fitDataset': {
        const cfgIndex = name === 'fit' ? 2 : 1;
        const cfg = args[cfgIndex];
        if (cfg?.kind === 'object' && cfg.props.has('batchSize')) model.batchSize = { value: cfg.props.get('batchSize')!, node: cfg.nodes.get('batchSize')! };
        if (name === 'fitDataset') this.datasetBatch(model, argNodes[0]);
        return unknown(node, 'training history is computed at run time');
      }
      case 'apply':
        return unknown(node, 'a model applied as a layer is not supported by memlens yet');
      default:
        return unknown(node, `model.${name}() is computed at run time`);
    }
  }

  /** `model.fitDataset(ds.batch(32), ...)`: the batch size is the literal given to .batch() */
  private datasetBatch(model: ModelObject, dsNode: Node | undefined): void {
    if (!dsNode || dsNode.type !== 'call_expression') return;
    const fn = dsNode.childForFieldName('function');
    if (fn?.type !== 'member_expression' || fn.childForFieldName('property')?.text !== 'batch') return;
    const arg = dsNode.childForFieldName('arguments')?.namedChild(0);
    if (arg && model.batchSize === undefined) {
      const v = arg.type === 'number' ? parseNumber(arg) : unknown(arg, 'the dataset batch size is not a literal');
      model.batchSize = { value: v, node: arg };
    }
  }

  private applyLayer(layer: LayerObject, arg: Value | undefined, argNode: Node | undefined, node: Node): Value {
    if (arg === undefined) return unknown(node, 'apply() needs a tensor');
    if (arg.kind === 'unknown') return unknown(node, arg.reason);
    const inputs: SymbolicTensor[] = [];
    if (arg.kind === 'tensor') inputs.push(arg);
    else if (arg.kind === 'array' && arg.items.every((t) => t.kind === 'tensor')) inputs.push(...(arg.items as SymbolicTensor[]));
    else if (arg.kind === 'array') {
      const bad = arg.items.find((t) => t.kind === 'unknown');
      return unknown(node, bad?.kind === 'unknown' ? bad.reason : 'apply() on values that are not symbolic tensors');
    } else return unknown(argNode ?? node, 'apply() on a concrete tensor is computed at run time');
    return { kind: 'tensor', serial: nextSerial(), producer: { kind: 'apply', layer, inputs, site: node } };
  }

  callFunction(fn: FunctionValue, args: Value[], site: Node, thisValue?: Value): Value {
    if (this.callDepth >= LIMITS.callDepth) {
      this.notes.push({ node: site, message: `calls nested deeper than ${LIMITS.callDepth} levels are not followed`, code: 'limit' });
      return unknown(site, 'a call nested too deeply');
    }
    this.invoked.add(fn.node);
    const scope = new Scope(fn.closure);
    if (thisValue) scope.declare('this', { value: thisValue, isConst: true });
    this.bindParameters(fn.node, args, scope);
    const body = fn.node.childForFieldName('body');
    if (!body) return UNDEFINED;
    const savedName = this.functionName;
    this.callDepth++;
    this.functionName = fn.name !== '<anonymous>' ? fn.name : savedName;
    try {
      if (body.type !== 'statement_block') return this.eval(body, scope);
      this.execBlock(named(body), scope);
      return UNDEFINED;
    } catch (signal) {
      if (signal instanceof ReturnSignal) return signal.value;
      if (signal instanceof BreakSignal) return UNDEFINED;
      throw signal;
    } finally {
      this.callDepth--;
      this.functionName = savedName;
    }
  }

  /** evaluate a function on its own: its parameters are unknown */
  evalStandalone(fn: FunctionValue, thisValue?: Value): void {
    const args = parameterNodes(fn.node).map((p) => unknown(p, `'${parameterName(p)}' is a function parameter`));
    this.callFunction(fn, args, fn.node, thisValue);
  }

  private bindParameters(fnNode: Node, args: Value[], scope: Scope): void {
    const params = parameterNodes(fnNode);
    params.forEach((p, i) => {
      if (p.type === 'rest_pattern' || p.namedChild(0)?.type === 'rest_pattern') {
        const target = p.type === 'rest_pattern' ? p.namedChild(0) : p.namedChild(0)?.namedChild(0);
        if (target) this.bindPattern(target, args.slice(i).some((a) => a.kind === 'unknown') ? args[i]! : { kind: 'array', items: args.slice(i) }, scope, false, p);
        return;
      }
      const pattern = p.type === 'identifier' ? p : p.childForFieldName('pattern');
      if (!pattern) return;
      let value = args[i] ?? UNDEFINED;
      const dflt = p.childForFieldName('value');
      if (value.kind === 'null' && dflt) value = this.eval(dflt, scope);
      this.bindPattern(pattern, value, scope, false, p);
    });
  }
}

