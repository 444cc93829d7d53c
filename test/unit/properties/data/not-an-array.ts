export const invariants = { name: 'x' };
