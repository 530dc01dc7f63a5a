// Tests compare plain text, so colour is switched off even where the environment asks for it
// (picocolors turns colour on whenever CI is set, as it is on the CI runner).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    env: { NO_COLOR: '1' },
  },
});
