// Binding values to names (destructuring patterns, assignment targets); a bound model or tensor takes the name.
import type { SyntaxNode as Node } from './syntax';
import { Scope, UNDEFINED, unknown, type ModelObject, type Value } from './values';
import { asIdentifier, identifiersIn, member, named, propertyKey } from './staticValues';
import { InterpreterState } from './interpreterState';

export abstract class Bindings extends InterpreterState {
  /** implemented in expressions.ts */
  abstract eval(node: Node, scope: Scope): Value;
  abstract memberOf(value: Value, name: string, node: Node): Value;

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
            this.bindPattern(asIdentifier(p), this.memberOf(value, p.text, p), scope, isConst, source);
          } else if (p.type === 'pair_pattern') {
            const key = propertyKey(p.childForFieldName('key'));
            const target = p.childForFieldName('value');
            if (target && key !== undefined) this.bindPattern(target, this.memberOf(value, key, p), scope, isConst, source);
          } else if (p.type === 'object_assignment_pattern') {
            const left = p.childForFieldName('left');
            const right = p.childForFieldName('right');
            if (!left) continue;
            let v = this.memberOf(value, left.text, p);
            if (v.kind === 'undefined' && right) v = this.eval(right, scope);
            this.bindPattern(left.type === 'shorthand_property_identifier_pattern' ? asIdentifier(left) : left, v, scope, isConst, source);
          } else {
            for (const id of identifiersIn(p)) scope.declare(id.text, { value: unknown(source, 'a rest pattern is not followed'), isConst, node: id });
          }
        }
        return;
      case 'array_pattern': {
        // the commas are not in the copied tree: an element's index is the commas before it (`[, h, w]`)
        const text = pattern.text;
        let i = 0;
        let from = 1;
        for (const p of named(pattern)) {
          if (p.type === 'comment') continue;
          const to = p.startIndex - pattern.startIndex;
          for (let k = from; k < to; k++) if (text[k] === ',') i++;
          from = p.endIndex - pattern.startIndex;
          const item = value.kind === 'array' ? (value.items[i] ?? UNDEFINED) : value.kind === 'unknown' ? value : unknown(source, 'not an array');
          if (p.type === 'assignment_pattern') {
            const left = p.childForFieldName('left');
            const right = p.childForFieldName('right');
            const v = item.kind === 'undefined' && right ? this.eval(right, scope) : item;
            if (left) this.bindPattern(left, v, scope, isConst, source);
          } else if (p.type === 'rest_pattern') {
            const target = p.namedChild(0);
            const rest: Value = value.kind === 'array' ? { kind: 'array', items: value.items.slice(i) } : item;
            if (target) this.bindPattern(target, rest, scope, isConst, source);
          } else {
            this.bindPattern(p, item, scope, isConst, source);
          }
        }
        return;
      }
      case 'assignment_pattern': {
        const left = pattern.childForFieldName('left');
        const right = pattern.childForFieldName('right');
        const v = value.kind === 'undefined' && right ? this.eval(right, scope) : value;
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

  /** `model.trainable = false` and other members set on a model (tfApi.ts) */
  protected abstract setModelMember(model: ModelObject, name: string, value: Value, node: Node): void;

  protected assign(target: Node, value: Value, scope: Scope): void {
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
        } else if (o?.kind === 'model') this.setModelMember(o, prop.text, value, target);
      }
    } else if (target.type === 'array_pattern' || target.type === 'object_pattern') {
      this.bindPattern(target, value, scope, false, target);
    }
  }
}
