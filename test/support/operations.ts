import fs from 'node:fs';
import path from 'node:path';
import { parse, print, OperationDefinitionNode, FragmentDefinitionNode } from 'graphql';
import { projectRoot } from '../../src/common/config';

/** Named operations from graphql/*.graphql, so tests run what the README shows. */
const documents = new Map<string, string>();
// From the project root, so that the compiled scale test (dist/test/scale) finds them too.
const folder = path.join(projectRoot, 'graphql');
for (const file of fs.readdirSync(folder).filter((f) => f.endsWith('.graphql') && f !== 'schema.graphql')) {
  const document = parse(fs.readFileSync(path.join(folder, file), 'utf8'));
  for (const definition of document.definitions) {
    if (definition.kind === 'OperationDefinition' && (definition as OperationDefinitionNode).name) {
      documents.set((definition as OperationDefinitionNode).name!.value, print(definition));
    } else if (definition.kind === 'FragmentDefinition') {
      documents.set(`fragment:${(definition as FragmentDefinitionNode).name.value}`, print(definition));
    }
  }
}

export function operation(name: string): string {
  const text = documents.get(name);
  if (!text) throw new Error(`No operation ${name} in graphql/`);
  return text;
}
