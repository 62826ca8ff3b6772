// Cornerstone 2.x and its companions ship no type declarations. These shims type only what the
// viewer calls, so a wrong call is still a compile error.

declare module 'cornerstone-core' {
  export interface VOI {
    windowWidth: number;
    windowCenter: number;
  }
  export interface Viewport {
    scale: number;
    translation: { x: number; y: number };
    voi: VOI;
    invert: boolean;
    pixelReplication: boolean;
    rotation: number;
    hflip: boolean;
    vflip: boolean;
    modalityLUT?: unknown;
    voiLUT?: unknown;
    colormap?: unknown;
    labelmap?: boolean;
  }
  export interface Image {
    imageId: string;
    minPixelValue: number;
    maxPixelValue: number;
    windowCenter?: number | number[];
    windowWidth?: number | number[];
    rows: number;
    columns: number;
    width: number;
    height: number;
    color: boolean;
    invert: boolean;
    slope?: number;
    intercept?: number;
    sizeInBytes: number;
    getPixelData(): ArrayLike<number>;
  }
  export interface ImageLoadObject {
    promise: Promise<Image>;
    cancelFn?: () => void;
  }
  export interface EnabledElement {
    element: HTMLElement;
    canvas: HTMLCanvasElement;
    image?: Image;
    viewport?: Viewport;
  }
  export interface RequestDetails {
    requestFn: () => Promise<unknown>;
    type: 'interaction' | 'thumbnail' | 'prefetch';
    additionalDetails?: { imageId?: string };
  }
  export interface RequestPoolManager {
    maxNumRequests: { interaction: number; thumbnail: number; prefetch: number };
    filterRequests(keep: (details: RequestDetails) => boolean): void;
    clearRequestStack(type: 'interaction' | 'thumbnail' | 'prefetch'): void;
  }
  export interface LoadOptions {
    requestType?: 'interaction' | 'thumbnail' | 'prefetch';
    priority?: number;
    addToBeginning?: boolean;
  }

  export const EVENTS: {
    IMAGE_RENDERED: string;
    NEW_IMAGE: string;
    ELEMENT_RESIZED: string;
    IMAGE_LOADED: string;
    IMAGE_LOAD_FAILED: string;
    IMAGE_CACHE_PROMISE_REMOVED: string;
    ELEMENT_ENABLED: string;
  };
  export const events: EventTarget;
  export function triggerEvent(target: EventTarget, type: string, detail?: Record<string, unknown>): boolean;
  export const imageCache: {
    setMaximumSizeBytes(bytes: number): void;
    getImageLoadObject(imageId: string): ImageLoadObject | undefined;
    putImageLoadObject(imageId: string, imageLoadObject: ImageLoadObject): void;
    removeImageLoadObject(imageId: string): void;
    purgeCache(): void;
    getCacheInfo(): { maximumSizeInBytes: number; cacheSizeInBytes: number; numberOfImagesCached: number };
  };
  export const imageRetrievalPoolManager: RequestPoolManager;
  export const imageLoadPoolManager: RequestPoolManager;
  export const metaData: {
    addProvider(provider: (type: string, imageId: string) => unknown, priority?: number): void;
    get(type: string, imageId: string): unknown;
  };

  export function enable(element: HTMLElement, options?: Record<string, unknown>): void;
  export function disable(element: HTMLElement): void;
  export function getEnabledElement(element: HTMLElement): EnabledElement;
  export function loadAndCacheImage(imageId: string, options?: LoadOptions): Promise<Image>;
  export function displayImage(element: HTMLElement, image: Image, viewport?: Partial<Viewport>): void;
  export function getViewport(element: HTMLElement): Viewport | undefined;
  export function setViewport(element: HTMLElement, viewport: Partial<Viewport>): void;
  export function getDefaultViewportForImage(element: HTMLElement, image: Image): Viewport;
  export function fitToWindow(element: HTMLElement): void;
  export function reset(element: HTMLElement): void;
  export function resize(element: HTMLElement, forceFitToWindow?: boolean): void;
  export function updateImage(element: HTMLElement, invalidated?: boolean): void;
  export function getImage(element: HTMLElement): Image | undefined;
  export function renderToCanvas(canvas: HTMLCanvasElement, image: Image, viewport?: Partial<Viewport> | null): void;
}

declare module 'cornerstone-tools' {
  export interface ToolClass {
    new (props?: Record<string, unknown>): unknown;
  }
  export const external: { cornerstone: unknown; cornerstoneMath: unknown; Hammer: unknown };
  export function init(config?: Record<string, unknown>): void;
  export function addToolForElement(element: HTMLElement, tool: ToolClass, props?: Record<string, unknown>): void;
  export function setToolActiveForElement(element: HTMLElement, name: string, options?: Record<string, unknown>): void;
  export function setToolPassiveForElement(element: HTMLElement, name: string, options?: Record<string, unknown>): void;
  export function clearToolState(element: HTMLElement, toolName: string): void;
  export const globalImageIdSpecificToolStateManager: {
    restoreToolState(state: Record<string, unknown>): void;
    saveToolState(): Record<string, unknown>;
  };
  export const WwwcTool: ToolClass;
  export const ZoomTool: ToolClass;
  export const PanTool: ToolClass;
  export const LengthTool: ToolClass;
  export const ZoomTouchPinchTool: ToolClass;
  export const PanMultiTouchTool: ToolClass;
  export const EVENTS: Record<string, string>;
}

declare module 'cornerstone-math';
declare module 'hammerjs';
declare module 'dicom-parser';

declare module 'cornerstone-wado-image-loader' {
  export interface LoaderConfig {
    open?: (xhr: XMLHttpRequest, url: string) => void;
    beforeSend?: (xhr: XMLHttpRequest, imageId: string, headers: Record<string, string>) => Record<string, string> | void;
    onloadend?: (event: ProgressEvent, params: { url?: string; imageId?: string }) => void;
    errorInterceptor?: (error: Error & { status?: number }) => void;
    strict?: boolean;
    decodeConfig?: { convertFloatPixelDataToInt?: boolean; use16BitDataType?: boolean };
  }
  const loader: {
    external: { cornerstone: unknown; dicomParser: unknown };
    /** Decodes a frame's bytes (as the server sent them) into a Cornerstone image, with the registered metadata. */
    createImage(imageId: string, pixelData: Uint8Array, transferSyntax: string, options?: Record<string, unknown>): Promise<import('cornerstone-core').Image>;
    configure(config: LoaderConfig): void;
    webWorkerManager: {
      initialize(config: Record<string, unknown>): void;
      terminate(): void;
      addTask(
        taskType: string,
        data: unknown,
        priority?: number,
        transferList?: Transferable[],
      ): { taskId: number; promise: Promise<unknown> };
      getStatistics(): { numWebWorkers: number; numTasksQueued: number; numTasksExecuting: number };
    };
    wadors: {
      metaDataManager: {
        add(imageId: string, instance: unknown): void;
        get(imageId: string): unknown;
        remove?(imageId: string): void;
        purge?(): void;
      };
    };
  };
  export default loader;
}
