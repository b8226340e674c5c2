// Own enumerable getters whose functions are shared by every object that has them.
// A getter written in an object literal is a new closure each time the literal is evaluated, and
// V8 gives each such object a hidden class of its own, which holds the closure and with it the
// whole analysis the closure sees. Those hidden classes live until a full collection, so every
// minor collection copied the recent analyses instead of dropping them (resnet50 analysed in a
// loop promoted about 2.7 MB per minor collection). Here each getter is one function per property
// name, reading the object's thunks from a hidden symbol property: objects made alike share their
// hidden class, and an analysis dies with its last reference.

const THUNKS = Symbol('memlens getters');

type Thunks = Readonly<Record<string, () => unknown>>;

interface WithThunks {
  readonly [THUNKS]: Thunks;
}

const descriptors = new Map<string, PropertyDescriptor>();

function descriptorFor(key: string): PropertyDescriptor {
  let descriptor = descriptors.get(key);
  if (!descriptor) {
    descriptor = {
      get(this: WithThunks): unknown {
        return this[THUNKS][key]!();
      },
      enumerable: true,
      configurable: true,
    };
    descriptors.set(key, descriptor);
  }
  return descriptor;
}

/**
 * `target` with each key of `thunks` as an own enumerable getter calling that thunk on every read
 * (a thunk that must not run twice memoises itself). Spreads, JSON and deep equality see the
 * getters as the object literal's did.
 */
export function withGetters<T extends object, G extends object>(target: T, thunks: { readonly [K in keyof G]: () => G[K] }): T & G {
  Object.defineProperty(target, THUNKS, { value: thunks });
  for (const key of Object.keys(thunks)) Object.defineProperty(target, key, descriptorFor(key));
  return target as T & G;
}
