import type { InputParser } from '@shiprail/core';

/** What the contract test needs of an action: how it parses inputs. Its outputs are found in packages/<action>/src. */
export interface ActionContract {
  /** The action's own input parsing: it must read every input it declares, and only those. */
  parseInputs: (parser: InputParser) => unknown;
  /** Values for required inputs (and inputs whose default cannot parse alone), so parsing succeeds. */
  sampleInputs: Record<string, string>;
}
