import { every, stopBackgroundTasks } from '../src/common/background';
import { processLogger, setProcessLogger } from '../src/common/http/logging';
import { capturingLogger } from './support/log-lines';

describe('background tasks', () => {
  it('log a failure streak and its end once each (outages in one line); stop after the run in progress', async () => {
    const { logger, lines } = capturingLogger();
    const previous = processLogger();
    setProcessLogger(logger);
    try {
      let runs = 0;
      let finished = 0;
      const outcomes = ['defect', 'defect', 'defect', 'ok', 'outage', 'outage'];
      every(5, 'test task', async () => {
        const outcome = outcomes[runs++] ?? 'ok';
        await new Promise((resolve) => setTimeout(resolve, 5));
        finished++;
        if (outcome === 'defect') throw new Error('a defect');
        if (outcome === 'outage')
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      });
      while (runs < outcomes.length + 2) await new Promise((resolve) => setTimeout(resolve, 5));
      await stopBackgroundTasks();
      expect(finished).toBe(runs);
      const stopped = runs;
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(runs).toBe(stopped);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const logged = lines.map((line) => [line.level, line.msg]);
      expect(logged).toEqual([
        ['error', 'test task failed (logged once until it works again)'],
        ['info', 'test task works again'],
        ['warn', 'test task failed (logged once until it works again): database unavailable'],
        ['info', 'test task works again'],
      ]);
      expect(lines[0].err.stack).toMatch(/a defect\n\s+at /);
      expect(lines[1].failures).toBe(3);
      expect(lines[2].error).toEqual({
        type: 'Error',
        code: 'ECONNREFUSED',
        message: 'connect ECONNREFUSED 127.0.0.1:5432',
      });
    } finally {
      setProcessLogger(previous);
    }
  });
});
