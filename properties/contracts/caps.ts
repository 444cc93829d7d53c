// What the manual says a cap is: which object it names, its rights and its badge (§2.1
// "Capability-based Access Control", §3.1.4 "Capability Rights", §4.2.1 "Endpoint Badges").
// Caps of tags this file does not know (a Zombie, say) are opaque: no row judges them.

import type { CapRights } from '../../abi/rights';
import type { Cap, PPtr } from '../../spec/api/types';

const KNOWN = new Set<string>([
  'NullCap', 'UntypedCap', 'EndpointCap', 'NotificationCap', 'ReplyCap', 'CNodeCap', 'ThreadCap', 'IRQControlCap',
  'IRQHandlerCap', 'DomainCap', 'FrameCap', 'PageTableCap', 'PageDirectoryCap', 'ASIDControlCap', 'ASIDPoolCap',
]);

/** A cap of a tag the contracts do not know: judged by no row. */
export function opaque(c: Cap): boolean {
  return !KNOWN.has(c.tag);
}

/** The object (or region) a cap names, as one key; null for caps that name none. */
export function objectKey(c: Cap): string | null {
  switch (c.tag) {
    case 'UntypedCap':
      return `U${c.ptr}/${c.sizeBits}`;
    case 'EndpointCap':
    case 'NotificationCap':
    case 'CNodeCap':
    case 'ThreadCap':
    case 'FrameCap':
    case 'PageTableCap':
    case 'PageDirectoryCap':
    case 'ASIDPoolCap':
      return `${c.tag}${c.ptr}`;
    case 'ReplyCap':
      return `R${c.tcb}`;
    case 'IRQHandlerCap':
      return `I${c.irq}`;
    case 'IRQControlCap':
    case 'ASIDControlCap':
    case 'DomainCap':
      return c.tag;
    default:
      return null;
  }
}

/** Both caps name the same object (same type of cap to it). */
export function sameObject(a: Cap, b: Cap): boolean {
  const k = objectKey(a);
  return k !== null && k === objectKey(b);
}

/** The address of the object a cap names, if it has one. */
export function objectPtr(c: Cap): PPtr | null {
  return 'ptr' in c ? c.ptr : null;
}

export function badgeOf(c: Cap): number | null {
  return c.tag === 'EndpointCap' || c.tag === 'NotificationCap' ? c.badge : null;
}

/** Rights as the four CapRights bits; frames read and write only; null for rightless caps. */
export function rightsOf(c: Cap): CapRights | null {
  switch (c.tag) {
    case 'EndpointCap':
    case 'NotificationCap':
      return c.rights;
    case 'FrameCap':
      return { read: c.rights === 'VMReadOnly' || c.rights === 'VMReadWrite', write: c.rights === 'VMReadWrite', grant: false, grantReply: false };
    default:
      return null;
  }
}

const RIGHT_NAMES = ['read', 'write', 'grant', 'grantReply'] as const;

/** The rights `a` has that `b` lacks. */
export function rightsBeyond(a: CapRights, b: CapRights): string[] {
  return RIGHT_NAMES.filter((r) => a[r] && !b[r]);
}

/** The rights where `a` and `b` differ. */
export function rightsDiffer(a: CapRights, b: CapRights): string[] {
  return RIGHT_NAMES.filter((r) => a[r] !== b[r]);
}

export function intersect(a: CapRights, b: CapRights): CapRights {
  return { read: a.read && b.read, write: a.write && b.write, grant: a.grant && b.grant, grantReply: a.grantReply && b.grantReply };
}

/** Badges keep only their low 28 bits on 32-bit platforms (§4.2.1). */
export const BADGE_MASK = 0x0fffffff;
