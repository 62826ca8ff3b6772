import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { actorOf } from '../audit/audit.service.js';
import { findReadableDocument, openDocument } from './document.service.js';
import { documentsByExam, facilityById, visibleExamById, visibleExamsByPatient } from './exam.loaders.js';
import { findVisibleExam } from './exam.service.js';
import { Document, Exam, Facility, toDocument, toExam } from './exam.types.js';

@Resolver(() => Exam)
export class ExamResolver {
  @Query(() => Exam, { nullable: true, description: 'Null when absent or not yours: the same answer' })
  async exam(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Exam | null> {
    const row = await findVisibleExam(ctx.em, ctx.viewer, id);
    return row ? toExam(row) : null;
  }

  @FieldResolver(() => [Document], { description: 'Newest first' })
  async documents(@Root() exam: Exam, @Ctx() ctx: Context): Promise<Document[]> {
    return (await documentsByExam(ctx).load(exam.id)).map(toDocument);
  }

  @FieldResolver(() => Facility)
  async facility(@Root() exam: Exam, @Ctx() ctx: Context): Promise<Facility> {
    const facility = await facilityById(ctx).load(exam.facilityId);
    if (!facility) throw new Error('Exam without its facility');
    return facility;
  }

  @FieldResolver(() => [Exam], {
    description: 'The same patient’s other exams that I may see (the patient record’s rule), newest first: the viewer’s « Examens antérieurs »',
  })
  async otherExams(@Root() exam: Exam, @Ctx() ctx: Context): Promise<Exam[]> {
    return (await visibleExamsByPatient(ctx).load(exam.patientId)).filter((row) => row.id !== exam.id).map(toExam);
  }
}

@Resolver(() => Document)
export class DocumentResolver {
  @Query(() => Document, { nullable: true, description: 'Null when absent or not yours: the same answer' })
  async document(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Document | null> {
    const row = await findReadableDocument(ctx.em, ctx.viewer, id);
    return row ? toDocument(row) : null;
  }

  @Mutation(() => Document, { description: 'The viewer page opened this document: traced, and the exam is no longer "new"' })
  async markDocumentOpened(@Ctx() ctx: Context, @Arg('documentId', () => ID) documentId: string): Promise<Document> {
    return toDocument(await openDocument(ctx.em, ctx.viewer, documentId, actorOf(ctx)));
  }

  @FieldResolver(() => Exam)
  async exam(@Root() document: Document, @Ctx() ctx: Context): Promise<Exam> {
    const row = await visibleExamById(ctx).load(document.examId);
    if (!row) throw new Error('Readable document of an invisible exam');
    return toExam(row);
  }
}
