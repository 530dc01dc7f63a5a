// Tests compare plain text, so colour is switched off even where the environment asks for it
// (picocolors turns colour on whenever CI is set, as it is on the CI runner). Tests carry no time
// limit (testTimeout 0): many spawn the mmsim command or the host executor, and a loaded 2-core CI
// machine must not turn slowness into failures; hangs are bounded by the commands' own budgets.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    env: { NO_COLOR: '1' },
    testTimeout: 0,
    hookTimeout: 0,
  },
});
