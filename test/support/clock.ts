import { Clock } from '../../src/common/clock';

/** A clock a test moves to stand at a date boundary. */
export class TestClock implements Clock {
  constructor(private instant: Date) {}
  now(): Date {
    return new Date(this.instant);
  }
  set(instant: string): void {
    this.instant = new Date(instant);
  }
}
