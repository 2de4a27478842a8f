import { Field, ID, InterfaceType } from 'type-graphql';
import { toGlobalId } from './global-id';

/**
 * Relay `Node`: every object with an identity carries an opaque global ID and can be fetched by
 * `node(id:)`. Entities extend this class; the GraphQL type name is the class name.
 */
@InterfaceType('Node', { description: 'An object with an opaque global ID, fetchable with `node(id:)`.' })
export abstract class Node {
  /** Database primary key; never exposed as is. */
  abstract id: string;

  // The GraphQL name is `id`, the value `globalId` (`id` is the database key): a resolver, in
  // graphql-jit and in graphql-js alike.
  @Field(() => ID, { name: 'id', simple: false, description: 'Opaque global ID.' })
  get globalId(): string {
    return toGlobalId(this.constructor.name, this.id);
  }
}
