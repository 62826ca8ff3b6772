import { describe, expect, it } from 'vitest';
import { OperationLabels, dicomwebRouteLabel, httpRouteLabel, methodLabel } from './routes.js';

const study = '1.2.826.0.1.3680043.8.498.1';
const series = '1.2.826.0.1.3680043.8.498.2';
const instance = '1.2.826.0.1.3680043.8.498.3';

describe('metric labels never carry a raw path', () => {
  it('HTTP surfaces: a fixed name whatever the UIDs, tokens or ids in the path', () => {
    expect(httpRouteLabel(`/dicomweb/studies/${study}/metadata`)).toBe('dicomweb');
    expect(httpRouteLabel('/s/4f1c2d9e8b7a?x=1')).toBe('share_link');
    expect(httpRouteLabel('/api/documents/0b6f/report.pdf')).toBe('document');
    expect(httpRouteLabel('/graphql')).toBe('graphql');
    expect(httpRouteLabel('/readyz')).toBe('health');
    expect(httpRouteLabel('/patients/0b6f-42')).toBe('other');
    expect(methodLabel('PROPFIND')).toBe('OTHER');
  });

  it('DICOMweb routes: one label per PS3.18 resource', () => {
    const cases: Array<[string, string, string]> = [
      ['POST', '/studies', 'stow'],
      ['POST', `/studies/${study}`, 'stow'],
      ['GET', '/studies', 'search'],
      ['GET', `/studies/${study}/series`, 'search'],
      ['GET', `/studies/${study}/series/${series}/instances`, 'search'],
      ['GET', `/studies/${study}`, 'retrieve'],
      ['GET', `/studies/${study}/series/${series}/instances/${instance}`, 'retrieve'],
      ['GET', `/studies/${study}/series/${series}/metadata`, 'metadata'],
      ['GET', `/studies/${study}/series/${series}/instances/${instance}/frames/1,2`, 'frames'],
      ['GET', `/studies/${study}/series/${series}/instances/${instance}/frames/1/rendered`, 'frames_rendered'],
      ['GET', `/studies/${study}/thumbnail?viewport=64,64`, 'thumbnail'],
      ['GET', `/studies/${study}/series/${series}/instances/${instance}/bulkdata/00420011`, 'bulkdata'],
      ['GET', `/wado?requestType=WADO&studyUID=${study}`, 'wado_uri'],
      ['GET', '/nonsense/1.2.3', 'other'],
    ];
    for (const [method, path, label] of cases) expect(dicomwebRouteLabel(method, path), path).toBe(label);
  });

  it('GraphQL operation names: bounded, unknown names beyond the bound collapse into one label', () => {
    const labels = new OperationLabels(2);
    expect(labels.label('Dashboard')).toBe('Dashboard');
    expect(labels.label(undefined)).toBe('anonymous');
    expect(labels.label('Exam')).toBe('Exam');
    expect(labels.label('Invented1')).toBe('other');
    expect(labels.label('Dashboard')).toBe('Dashboard');
    expect(new OperationLabels().label('a name with spaces')).toBe('other');
  });
});
