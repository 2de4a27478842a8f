import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
} from 'graphql';
import { buildAppSchema } from '../src/schema';

/** Every type, field, input field and enum value of the public schema, with its description. */
function documented(): Array<{ name: string; description: string | null | undefined }> {
  const items: Array<{ name: string; description: string | null | undefined }> = [];
  for (const type of Object.values(buildAppSchema().getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    items.push({ name: type.name, description: type.description });
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()))
        items.push({ name: `${type.name}.${field.name}`, description: field.description });
    }
    if (isEnumType(type))
      for (const value of type.getValues())
        items.push({ name: `${type.name}.${value.name}`, description: value.description });
  }
  return items;
}

describe('schema descriptions', () => {
  it('describe at least 95 % of the types, fields, input fields and enum values', () => {
    const items = documented();
    const missing = items.filter((item) => !item.description?.trim()).map((item) => item.name);
    expect(items.length).toBeGreaterThan(500);
    const share = (items.length - missing.length) / items.length;
    // The message lists what is missing, so that the gap is easy to close.
    if (share < 0.95) throw new Error(`${(share * 100).toFixed(1)} % described; not described: ${missing.join(', ')}`);
    expect(share).toBeGreaterThanOrEqual(0.95);
  });
});
