import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { printAppSchema } from '../schema';
import { projectRoot } from '../common/config';

const target = path.join(projectRoot, 'graphql', 'schema.graphql');
fs.writeFileSync(target, printAppSchema());
console.log(`Wrote ${path.relative(process.cwd(), target)}`);
