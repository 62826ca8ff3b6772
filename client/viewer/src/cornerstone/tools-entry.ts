// Entry of viewer-tools.js, the second bundle of the viewer (vite.tools.config.ts): Cornerstone's
// tools with their math and touch libraries, imported by tools.ts once the first image is shown.
import * as tools from 'cornerstone-tools';
import * as math from 'cornerstone-math';
import hammer from 'hammerjs';

export { hammer, math, tools };
