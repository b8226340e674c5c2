// Expression evaluation: literals, names, operators, arrays, objects and assignments folded to static values.
import type { SyntaxNode as Node } from './syntax';
import { nextSerial, NULL, num, Scope, UNDEFINED, unknown, type FunctionValue, type ObjectValue, type Value } from './values';
import { isNullish, literalText, looseEqual, member, named, parseNumber, primitiveText, propertyKey, strictEqual, stringValue, textOf, toNumber, truthy } from './staticValues';
import { LIMITS } from './interpreterState';
import { GLOBAL_BUILTINS } from './builtinNames';
import { layerMember, modelMember, tensorMember, type ShapeState } from './symbolicShapes';
import { Bindings } from './bindings';

export abstract class ExpressionEvaluator extends Bindings {
  private exprDepth = 0;

  /** implemented in calls.ts */
  protected abstract evalCall(node: Node, scope: Scope): Value;
  protected abstract evalNew(node: Node, scope: Scope): Value;
  /** implemented in calls.ts: a callback that runs at run time, evaluated once */
  abstract runCallback(fn: FunctionValue, site: Node, reason: string): void;
  /** implemented in classes.ts */
  abstract classValue(node: Node, scope: Scope): Value;

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
        return this.evalTemplate(node, scope);
      case 'true':
        return { kind: 'bool', value: true };
      case 'false':
        return { kind: 'bool', value: false };
      case 'null':
        return NULL;
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
        const obj = this.eval(objNode, scope);
        // `a?.b` on null or undefined is undefined
        if (isNullish(obj) && node.childForFieldName('optional_chain')) return UNDEFINED;
        return this.memberOf(obj, prop.text, node);
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
        return this.evalNew(node, scope);
      case 'class':
        return this.classValue(node, scope);
      case 'super':
        return scope.lookup('super')?.value ?? unknown(node, "'super' outside a method");
      case 'sequence_expression': {
        let last: Value = UNDEFINED;
        for (const c of named(node)) last = this.eval(c, scope);
        return last;
      }
      default:
        return unknown(node, 'an expression evaluated at run time');
    }
  }

  /** `branch_${name}`: the literal parts with each substitution converted as String() does */
  private evalTemplate(node: Node, scope: Scope): Value {
    let out = '';
    for (const c of named(node)) {
      if (c.type !== 'template_substitution') {
        // fragments and escapes, read as a string literal's are
        out += literalText([c]);
        continue;
      }
      const inner = c.namedChild(0);
      const v = inner ? this.eval(inner, scope) : UNDEFINED;
      if (v.kind === 'unknown') return unknown(node, v.reason);
      const s = textOf(v);
      if (s === undefined) return unknown(c, 'a template substitution memlens cannot print');
      out += s;
    }
    return { kind: 'string', value: out };
  }

  /** `value.name`; shapes of symbolic tensors, layers and models are inferred here (symbolicShapes.ts) */
  memberOf(value: Value, name: string, node: Node): Value {
    const state: ShapeState = { shapes: this.shapes, layerOutputs: this.layerOutputs, chains: this.chains, models: this.models, serial: nextSerial };
    if (value.kind === 'tensor') return tensorMember(value, name, state, node);
    if (value.kind === 'model') return modelMember(value, name, state, node) ?? member(value, name, node);
    if (value.kind === 'layer') return value.custom?.self.props.get(name) ?? layerMember(value, name, state, node) ?? member(value, name, node);
    return member(value, name, node);
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
      if (GLOBAL_BUILTINS.has(name)) return { kind: 'builtin', name };
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
    if (index.kind === 'string') return this.memberOf(obj, index.value, node);
    if (index.kind === 'number') return this.memberOf(obj, String(index.value), node);
    return unknown(node, 'an index memlens cannot follow');
  }

  private evalBinary(node: Node, scope: Scope): Value {
    const op = node.childForFieldName('operator')?.type ?? '';
    if ((op === '===' || op === '==') && isMainModuleTest(node, scope)) return { kind: 'bool', value: true };
    const left = this.evalField(node, 'left', scope);
    if (op === '&&' || op === '||' || op === '??') {
      const t = op === '??' ? (left.kind === 'unknown' ? undefined : !isNullish(left)) : truthy(left);
      if (t === undefined) return left.kind === 'unknown' ? left : unknown(node, 'a condition only known at run time');
      if (op === '&&') return t ? this.evalField(node, 'right', scope) : left;
      return t ? left : this.evalField(node, 'right', scope);
    }
    const right = this.evalField(node, 'right', scope);
    if (op === 'instanceof') {
      const known = instanceOf(left, right);
      if (known !== undefined) return { kind: 'bool', value: known };
    }
    if (left.kind === 'unknown') return unknown(node, left.reason);
    if (right.kind === 'unknown') return unknown(node, right.reason);
    if (op === '+' && (left.kind === 'string' || right.kind === 'string')) {
      const l = primitiveText(left);
      const r = primitiveText(right);
      return l !== undefined && r !== undefined ? { kind: 'string', value: l + r } : unknown(node, 'a string built at run time');
    }
    if (op === '===' || op === '==' || op === '!==' || op === '!=') {
      const eq = op.length === 3 ? strictEqual(left, right) : looseEqual(left, right);
      if (eq === undefined) return unknown(node, 'a comparison memlens cannot decide');
      return { kind: 'bool', value: op.startsWith('!') ? !eq : eq };
    }
    if (left.kind === 'string' && right.kind === 'string' && ['<', '<=', '>', '>='].includes(op)) {
      const [x, y] = [left.value, right.value];
      return { kind: 'bool', value: op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y };
    }
    // JavaScript converts primitives: `undefined > 0` is false, `undefined + 1` is NaN
    const a = toNumber(left);
    const b = toNumber(right);
    if (a === undefined || b === undefined) return unknown(node, 'arithmetic on values that are not numbers');
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
      case '+': {
        const n = toNumber(v);
        return n === undefined ? unknown(node, 'a conversion at run time') : num(n);
      }
      case '!': {
        const t = truthy(v);
        return t === undefined ? unknown(node, 'a condition only known at run time') : { kind: 'bool', value: !t };
      }
      case 'typeof':
        return typeOf(v, node);
      case 'void':
        return UNDEFINED;
      default:
        return unknown(node, `the operator ${op}`);
    }
  }

  private evalAssignment(node: Node, scope: Scope): Value {
    const left = node.childForFieldName('left');
    const value = this.evalField(node, 'right', scope);
    if (left) this.assign(left, value, scope);
    // `button.onclick = () => { ... }`, `window.onload = main`: a handler of an object memlens does not know
    if (value.kind === 'function' && left?.type === 'member_expression') {
      const owner = left.childForFieldName('object');
      const target = owner && (owner.type === 'identifier' || owner.type === 'member_expression') ? this.eval(owner, scope) : undefined;
      if (target?.kind === 'unknown') this.runCallback(value, node, `${left.text} is a handler called at run time`);
    }
    return value;
  }

  private evalAugmented(node: Node, scope: Scope): Value {
    const left = node.childForFieldName('left');
    const op = node.childForFieldName('operator')?.type ?? '';
    if (!left) return UNDEFINED;
    const current = this.eval(left, scope);
    if (op === '??=' || op === '||=' || op === '&&=') return this.evalLogicalAssignment(node, op, left, current, scope);
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

  /** `a ??= b`, `a ||= b`, `a &&= b`: the right side is evaluated (and assigned) only when the left one asks for it */
  private evalLogicalAssignment(node: Node, op: '??=' | '||=' | '&&=', left: Node, current: Value, scope: Scope): Value {
    const replace = current.kind === 'unknown' ? undefined : op === '??=' ? isNullish(current) : op === '||=' ? negate(truthy(current)) : truthy(current);
    if (replace === undefined) {
      const result = unknown(node, current.kind === 'unknown' ? current.reason : `${op} on a value only known at run time`);
      this.assign(left, result, scope);
      return result;
    }
    if (!replace) return current;
    const right = this.evalField(node, 'right', scope);
    this.assign(left, right, scope);
    return right;
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
}

/** `typeof v` for the values the interpreter knows */
function typeOf(v: Value, node: Node): Value {
  const names: Partial<Record<Value['kind'], string>> = { number: 'number', string: 'string', bool: 'boolean', undefined: 'undefined', null: 'object', array: 'object', object: 'object', function: 'function', method: 'function' };
  const name = names[v.kind];
  return name ? { kind: 'string', value: name } : unknown(node, `typeof ${v.kind} is known only at run time`);
}

/**
 * `require.main === module` (either order, `require` and `module` not bound in the file): the
 * file run as a program, which is how memlens reads it, so the branch is taken.
 */
function isMainModuleTest(node: Node, scope: Scope): boolean {
  if (scope.lookup('require') || scope.lookup('module')) return false;
  const sides = [node.childForFieldName('left')?.text.replace(/\s+/g, ''), node.childForFieldName('right')?.text.replace(/\s+/g, '')];
  return sides.includes('require.main') && sides.includes('module');
}

function negate(b: boolean | undefined): boolean | undefined {
  return b === undefined ? undefined : !b;
}

/**
 * `x instanceof tf.LayersModel` where it is decided statically: a primitive is an instance of no
 * class and a static array of no TensorFlow.js class; every model memlens builds is a LayersModel
 */
function instanceOf(left: Value, right: Value): boolean | undefined {
  if (right.kind !== 'tf' || right.path === '') return undefined;
  switch (left.kind) {
    case 'number':
    case 'string':
    case 'bool':
    case 'null':
    case 'undefined':
    case 'array':
      return false;
    case 'model':
      return right.path === 'LayersModel' ? true : undefined;
    default:
      return undefined;
  }
}
