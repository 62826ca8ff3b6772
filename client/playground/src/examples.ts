/** Ready-made queries offered as tabs when the playground opens. */
export const examples: Array<{ title: string; query: string }> = [
  { title: 'Who am I', query: '# Qui suis-je ?\nquery Me {\n  me {\n    displayName\n    role\n  }\n}\n' },
];
