import { Writable } from 'node:stream';
import { createLogger, Logger } from '../../src/common/http/logging';

/** A JSON logger whose lines are collected, parsed, into `lines`. */
export function capturingLogger(level: 'info' | 'debug' = 'info'): { logger: Logger; lines: any[] } {
  const lines: any[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level, production: true, destination }), lines };
}
