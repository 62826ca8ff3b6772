import type { CodegenConfig } from '@graphql-codegen/cli';

/** One config for every client: typed documents generated from the committed schema.graphql. */
const scalars = { DateTimeISO: 'string', Date: 'string' };

const config: CodegenConfig = {
  schema: 'schema.graphql',
  ignoreNoDocuments: true,
  generates: {
    'client/shell/src/gql/': {
      documents: ['client/shell/src/**/*.{ts,vue}', '!client/shell/src/gql/**/*'],
      preset: 'client',
      config: { scalars, useTypeImports: true, enumsAsTypes: true },
      presetConfig: { fragmentMasking: false },
    },
    'client/share/src/gql/': {
      documents: ['client/share/src/**/*.{ts,vue}', '!client/share/src/gql/**/*'],
      preset: 'client',
      // The share page has no GraphQL client library: plain fetch with the query text.
      config: { scalars, useTypeImports: true, enumsAsTypes: true, documentMode: 'string' },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
