import type { DicomJson } from '../../dicomweb/dicomJson';
import { getNumbers, getString } from '../../dicomweb/dicomJson';
import type { Translate } from '../../i18n';
import { h } from '../dom';
import { spacingOf, type Spacing } from './statistics';

/** The spacing measurements on this instance are calibrated from (statistics.ts spacingOf). */
export function instanceSpacing(instance: DicomJson | undefined): Spacing | undefined {
  if (!instance) return undefined;
  return spacingOf(getNumbers(instance, '00280030'), getNumbers(instance, '00181164'));
}

/** Hounsfield units for CT (the modality LUT applied); other modalities' values have no unit we can name. */
export function valueUnit(instance: DicomJson | undefined, t: Translate): string {
  return instance && getString(instance, '00080060') === 'CT' ? t('hu') : '';
}

/**
 * The warning a viewport shows over an image whose lengths and areas cannot be in millimetres
 * (no PixelSpacing, no ImagerPixelSpacing): « Mesures non calibrées »; and the note that
 * ImagerPixelSpacing measures at the detector, not in the patient (ADR 0132).
 */
export class CalibrationNotice {
  readonly element: HTMLDivElement;

  constructor(private readonly t: Translate) {
    this.element = h('div', { class: 'emv-calibration', role: 'note', 'data-testid': 'calibration-notice', hidden: true });
  }

  show(instance: DicomJson | undefined): void {
    const spacing = instanceSpacing(instance);
    const text = !instance ? '' : !spacing ? this.t('uncalibrated') : spacing.source === 'ImagerPixelSpacing' ? this.t('imagerSpacing') : '';
    this.element.textContent = text;
    this.element.hidden = text === '';
    this.element.dataset.calibration = !instance ? '' : spacing?.source ?? 'none';
  }
}
