import { defineConfig } from 'vitest/config';

// Unit tests of the viewer's plain modules; the viewer itself is tested in Chromium (e2e/).
export default defineConfig({ test: { include: ['test/**/*.spec.ts'], environment: 'node' } });
