import { getNamedType, isInputObjectType, isInterfaceType, isObjectType, isUnionType, type GraphQLNamedType, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ANALYST_OPERATIONS } from './analyst-operations.js';
import { PUBLIC_OPERATIONS, committedSchema } from './operations.js';

/*
 * A static check on the committed schema's type graph, so no future field can wire patient data
 * into what an analyst may query: from every root field an analyst is allowed to call, no
 * patient-level type is reachable, and the statistics types carry no identifying field name.
 */

/** Types that describe one patient, one exam or one person's activity. */
const PATIENT_LEVEL_SEEDS = ['Patient', 'AdministrativeRecord', 'Exam', 'Document', 'Notification', 'Share', 'AuditEvent'];

/** Field names that identify a person or carry free text. */
const IDENTIFYING = /name|birth|sex|ins$|ipp|nir|rpps|email|phone|address|city|postal|comment|title|description|accession|uid|text|message/i;
/**
 * Named exceptions, each a decision: an imaging centre is an organisation, not a person; `emails`
 * is the list of e-mail counts, not addresses.
 */
const ALLOWED_FIELDS = new Set(['StatsFacility.name', 'Stats.emails']);

function outputTypesReachableFrom(schema: GraphQLSchema, start: GraphQLNamedType[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length > 0) {
    const type = stack.pop()!;
    if (seen.has(type.name)) continue;
    seen.add(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) stack.push(getNamedType(field.type));
    }
    if (isUnionType(type)) stack.push(...type.getTypes());
    if (isInterfaceType(type)) stack.push(...schema.getPossibleTypes(type));
  }
  return seen;
}

/** The seeds plus every type through which one of them can be reached (connections, edges…). */
function patientLevelTypes(schema: GraphQLSchema): Set<string> {
  const out = new Set(PATIENT_LEVEL_SEEDS);
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || isInputObjectType(type)) continue;
    if (type === schema.getQueryType() || type === schema.getMutationType() || type === schema.getSubscriptionType()) continue;
    const reach = outputTypesReachableFrom(schema, [type]);
    if (PATIENT_LEVEL_SEEDS.some((seed) => reach.has(seed))) out.add(type.name);
  }
  return out;
}

function rootField(schema: GraphQLSchema, name: string) {
  const [root, field] = name.split('.') as [string, string];
  const type = root === 'Query' ? schema.getQueryType() : root === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  return type?.getFields()[field];
}

describe('schema graph: nothing patient-level reachable by an analyst', () => {
  const schema = committedSchema();
  const allowed = [...ANALYST_OPERATIONS, ...PUBLIC_OPERATIONS];

  it('the patient-level seed types exist (a rename must update this check)', () => {
    for (const seed of PATIENT_LEVEL_SEEDS) expect(schema.getType(seed), seed).toBeDefined();
  });

  it.each(allowed.map((name) => [name] as const))('%s reaches no patient-level type', (name) => {
    const field = rootField(schema, name);
    expect(field, name).toBeDefined();
    const reachable = outputTypesReachableFrom(schema, [getNamedType(field!.type)]);
    const leaked = [...reachable].filter((t) => patientLevelTypes(schema).has(t));
    expect(leaked).toEqual([]);
  });

  it('no type reachable from stats has an identifying or free-text field', () => {
    const reachable = outputTypesReachableFrom(schema, [getNamedType(rootField(schema, 'Query.stats')!.type)]);
    const offending: string[] = [];
    for (const name of reachable) {
      const type = schema.getType(name)!;
      if (!isObjectType(type)) continue;
      for (const field of Object.keys(type.getFields())) {
        const key = `${name}.${field}`;
        if (IDENTIFYING.test(field) && !ALLOWED_FIELDS.has(key)) offending.push(key);
      }
    }
    expect(offending).toEqual([]);
    expect(reachable.has('StatsValue')).toBe(true);
  });
});
