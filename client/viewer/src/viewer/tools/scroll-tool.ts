import type { ToolClass } from 'cornerstone-tools';
import type { Tools } from '../../cornerstone/tools';

/**
 * « Défiler » as a cornerstone-tools mouse and touch tool that does nothing itself: made active on
 * the left button (and one finger), it takes that binding from the tool that had it, as any tool
 * would, while the slices are scrolled by gestures.ts, which works before the tools are loaded too.
 */
export function scrollToolClass(tools: Tools): ToolClass {
  const internal = tools as unknown as { importInternal(path: string): new (props: Record<string, unknown>, defaults: Record<string, unknown>) => object };
  const BaseTool = internal.importInternal('base/BaseTool');
  return class ScrollTool extends BaseTool {
    constructor(props: Record<string, unknown> = {}) {
      super(props, { name: 'Scroll', supportedInteractionTypes: ['Mouse', 'Touch'] });
    }
  };
}
