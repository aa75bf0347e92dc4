/**
 * The slice of the Reflect metadata API that @peculiar/x509 needs. Its dependency tsyringe refuses to
 * load without a Reflect polyfill ("tsyringe requires a reflect polyfill", @peculiar/x509 README,
 * "Reflect Polyfill Required"); the repository has none installed, and the emulator only needs
 * define/get of metadata, so it carries this one instead of a new package. Installed only when no other
 * polyfill is present; import it before @peculiar/x509.
 */
type Key = unknown;
type Target = object;

const store = new WeakMap<Target, Map<string | symbol | undefined, Map<Key, unknown>>>();

function table(target: Target, property: string | symbol | undefined, create: boolean): Map<Key, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    store.set(target, (byProperty = new Map<string | symbol | undefined, Map<Key, unknown>>()));
  }
  let entries = byProperty.get(property);
  if (!entries && create) byProperty.set(property, (entries = new Map()));
  return entries;
}

function getOwnMetadata(key: Key, target: Target, property?: string | symbol): unknown {
  return table(target, property, false)?.get(key);
}

function hasOwnMetadata(key: Key, target: Target, property?: string | symbol): boolean {
  return table(target, property, false)?.has(key) ?? false;
}

function getMetadata(key: Key, target: Target, property?: string | symbol): unknown {
  for (let current: Target | null = target; current; current = Object.getPrototypeOf(current) as Target | null) {
    if (hasOwnMetadata(key, current, property)) return getOwnMetadata(key, current, property);
  }
  return undefined;
}

function defineMetadata(key: Key, value: unknown, target: Target, property?: string | symbol): void {
  table(target, property, true)?.set(key, value);
}

const api = {
  defineMetadata,
  getMetadata,
  getOwnMetadata,
  hasMetadata: (key: Key, target: Target, property?: string | symbol): boolean => getMetadata(key, target, property) !== undefined,
  hasOwnMetadata,
  metadata:
    (key: Key, value: unknown) =>
    (target: Target, property?: string | symbol): void =>
      defineMetadata(key, value, target, property),
};

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  for (const [name, fn] of Object.entries(api)) reflect[name] = fn;
}

export {};
