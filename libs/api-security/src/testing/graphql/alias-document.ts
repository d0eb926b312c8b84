import { Kind, parse, print, type FieldNode, type SelectionNode } from 'graphql';

/** The suffix the prober appends to a root field's response key to alias it: `order__bola0`. */
const ALIAS_SUFFIX = /__bola\d+$/;

/**
 * The document with each root field of each operation selected `copies` times, under aliases
 * `<key>__bola<n>`: an alias batch (`a: order(id: 1) b: order(id: 1)`) built from any query.
 * Root fragment spreads and inline fragments are kept once, as written.
 */
export function aliasRootFields(query: string, copies = 2): string {
  const document = parse(query);
  const definitions = document.definitions.map((definition) => {
    if (definition.kind !== Kind.OPERATION_DEFINITION) return definition;
    const selections: SelectionNode[] = [];
    for (const selection of definition.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD) {
        selections.push(selection);
        continue;
      }
      const key = selection.alias?.value ?? selection.name.value;
      for (let n = 0; n < copies; n++) {
        const aliased: FieldNode = { ...selection, alias: { kind: Kind.NAME, value: `${key}__bola${n}` } };
        selections.push(aliased);
      }
    }
    return { ...definition, selectionSet: { ...definition.selectionSet, selections } };
  });
  return print({ ...document, definitions });
}

/** A response key with the prober's alias suffix removed: `order__bola1` → `order`. */
export function unalias(key: string): string {
  return key.replace(ALIAS_SUFFIX, '');
}
