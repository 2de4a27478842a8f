import { BadInputError } from './errors';

/** Relay global IDs: opaque base64 of "TypeName:databaseId". */
export function toGlobalId(typeName: string, id: string | number): string {
  return Buffer.from(`${typeName}:${id}`, 'utf8').toString('base64');
}

export function parseGlobalId(globalId: string): { typeName: string; id: string } | null {
  if (typeof globalId !== 'string' || globalId.length > 100) return null;
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  const match = /^([A-Za-z]+):([1-9]\d{0,17})$/.exec(decoded);
  if (!match || toGlobalId(match[1], match[2]) !== globalId) return null;
  return { typeName: match[1], id: match[2] };
}

/** Decodes an ID argument that must name an object of `typeName`; anything else is malformed input. */
export function expectGlobalId(globalId: string, typeName: string, field: string): string {
  const parsed = parseGlobalId(globalId);
  if (!parsed || parsed.typeName !== typeName) {
    throw new BadInputError(`${field} must be the ID of ${/^[AEIO]/.test(typeName) ? 'an' : 'a'} ${typeName}`, field);
  }
  return parsed.id;
}
