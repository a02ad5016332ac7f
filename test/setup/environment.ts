import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';

/**
 * Node's environment, plus one fact the resource guard needs: whether the running test has
 * already failed. A test that fails half-way leaves its resources open; the guard then closes
 * them without reporting a leak on top of the real failure.
 */
export default class HireQueueTestEnvironment extends TestEnvironment {
  async handleTestEvent(event: Circus.Event): Promise<void> {
    if (event.name === 'test_start') this.global.__hireQueueTestFailed = false;
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure')
      this.global.__hireQueueTestFailed = true;
  }
}
