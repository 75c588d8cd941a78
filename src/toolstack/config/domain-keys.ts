// The top-level keys of a domain config, with the example line each hint shows.

export const DOMAIN_KEY_EXAMPLES = {
  name: 'name = "vm1"',
  memory: "memory = 2048",
  backend: 'backend = "builtin"',
  vcpus: "vcpus = 2",
  vnvdimms: "vnvdimms = [ 'size=4G' ]",
  on_mce: 'on_mce = "stop"',
} as const;

export type DomainKey = keyof typeof DOMAIN_KEY_EXAMPLES;

export function exampleLine(key: string): string {
  return Object.hasOwn(DOMAIN_KEY_EXAMPLES, key) ? DOMAIN_KEY_EXAMPLES[key as DomainKey] : `${key} = VALUE`;
}
