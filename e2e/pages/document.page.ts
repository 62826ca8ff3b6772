import type { Page } from 'playwright-core';

/** A document view (guide §5.2): the report or the images, and the actions around them. */
export class DocumentPage {
  constructor(private readonly page: Page) {}

  title() {
    return this.page.getByTestId('document-title');
  }

  reportFrame() {
    return this.page.getByTestId('report-frame');
  }

  newTabLink() {
    return this.page.getByRole('link', { name: 'Ouvrir dans un nouvel onglet' });
  }

  popupButton() {
    return this.page.getByRole('button', { name: 'Ouvrir dans une pop-up' });
  }

  backLink() {
    return this.page.getByRole('link', { name: '← Revenir à la liste des documents' });
  }

  /** Reading mode's bar (the pop-up, the new tab, a phone): the patient banner and « Fermer ». */
  readingBar() {
    return this.page.getByTestId('reading-bar');
  }

  closeButton() {
    return this.page.getByRole('button', { name: 'Fermer', exact: true });
  }

  helpLink() {
    return this.page.getByRole('link', { name: 'Hors ligne ? Aide' });
  }
}
