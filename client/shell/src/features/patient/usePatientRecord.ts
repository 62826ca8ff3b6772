import { useQuery } from '@vue/apollo-composable';
import { computed, type Ref } from 'vue';
import { graphql } from '@/gql';

export const PATIENT_RECORD = graphql(`
  query PatientRecord($id: ID!) {
    patient(id: $id) {
      id displayName
      records { id ipp ins lastName firstName birthName birthDate sex addressLine postalCode city phone receivedAt facility { id name finess } }
      exams { id title date facility { id name } documents { id type title date reportUrl studyInstanceUid } }
    }
  }
`);

/** One patient's record and its documents (all exams flattened, newest first) for the record pages. */
export function usePatientRecord(id: Ref<string>) {
  const { result, loading, error } = useQuery(PATIENT_RECORD, () => ({ id: id.value }), { fetchPolicy: 'cache-and-network' });
  const patient = computed(() => result.value?.patient ?? null);
  const documents = computed(() =>
    (patient.value?.exams ?? [])
      .flatMap((exam) => exam.documents.map((doc) => ({ ...doc, examId: exam.id, examTitle: exam.title, facility: exam.facility.name })))
      .sort((a, b) => b.date.localeCompare(a.date)),
  );
  return { patient, documents, loading, error, loaded: computed(() => result.value !== undefined) };
}
