import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { publishExam } from './publish.service.js';
import { PublishExamInput, PublishedExam } from './publish.types.js';

@Resolver()
export class PublishResolver {
  @Authorized('FACILITY')
  @Mutation(() => PublishedExam, {
    description: 'Imaging centre (API key): creates or updates an exam, its patient record, documents and access rights, in one transaction. Store the instances through STOW-RS first.',
  })
  publishExam(@Ctx() ctx: Context, @Arg('input', () => PublishExamInput) input: PublishExamInput): Promise<PublishedExam> {
    return publishExam(ctx, input);
  }
}
