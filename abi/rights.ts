// seL4_CapRights: bit 0 write, 1 read, 2 grant, 3 grant-reply (libsel4 shared_types.bf).

import { type Field, packFields, unpackFields } from './bitfield';

export interface CapRights {
  write: boolean;
  read: boolean;
  grant: boolean;
  grantReply: boolean;
}

export const CAP_RIGHTS_LAYOUT: readonly Field<keyof CapRights>[] = [
  { name: 'write', lsb: 0, width: 1 },
  { name: 'read', lsb: 1, width: 1 },
  { name: 'grant', lsb: 2, width: 1 },
  { name: 'grantReply', lsb: 3, width: 1 },
];

export const ALL_RIGHTS: CapRights = { write: true, read: true, grant: true, grantReply: true };
export const NO_RIGHTS: CapRights = { write: false, read: false, grant: false, grantReply: false };

export function rightsFromWord(w: number): CapRights {
  const r = unpackFields(CAP_RIGHTS_LAYOUT, w);
  return { write: r.write === 1, read: r.read === 1, grant: r.grant === 1, grantReply: r.grantReply === 1 };
}

export function wordFromRights(r: CapRights): number {
  return packFields(CAP_RIGHTS_LAYOUT, {
    write: +r.write,
    read: +r.read,
    grant: +r.grant,
    grantReply: +r.grantReply,
  });
}

export function maskRights(r: CapRights, mask: CapRights): CapRights {
  return {
    write: r.write && mask.write,
    read: r.read && mask.read,
    grant: r.grant && mask.grant,
    grantReply: r.grantReply && mask.grantReply,
  };
}

const LETTERS: Record<string, keyof CapRights> = { R: 'read', W: 'write', G: 'grant', P: 'grantReply' };

/** Parses the trace notation "RWGP" (distinct letters); undefined if malformed. */
export function rightsFromLetters(s: string): CapRights | undefined {
  const r = { ...NO_RIGHTS };
  for (const ch of s) {
    const k = LETTERS[ch];
    if (k === undefined || r[k]) return undefined;
    r[k] = true;
  }
  return r;
}

export function lettersFromRights(r: CapRights): string {
  return (r.read ? 'R' : '') + (r.write ? 'W' : '') + (r.grant ? 'G' : '') + (r.grantReply ? 'P' : '');
}
