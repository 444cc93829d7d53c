import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  AP,
  PDE_COARSE,
  PDE_INVALID,
  PDE_SECTION,
  PDE_SUPERSECTION,
  PTE_INVALID,
  PTE_LARGE,
  PTE_SMALL,
  PdeKind,
  PteKind,
  USER_NONE,
  USER_READ,
  USER_WRITE,
  pdIndex,
  pdeCoarse,
  pdeKind,
  pdeSection,
  pdeSupersection,
  ptIndex,
  pteKind,
  pteLarge,
  pteSmall,
  userAccess,
} from '../../../machine/descriptors';
import { matches } from '../../../machine/layout';

describe('descriptor constructors write ARMv7 bit patterns', () => {
  it('coarse PDE: base in 31..10, type 01', () => {
    expect(pdeCoarse(0x00123400)).toBe(0x00123401);
    expect(pdeKind(pdeCoarse(0x400))).toBe(PdeKind.Coarse);
  });
  it('section PDE: base in 31..20, AP in 11..10, type 10, bit 18 clear', () => {
    expect(pdeSection(0x12300000, AP.UserReadWrite)).toBe(0x12300c02);
    expect(pdeSection(0x12300000, AP.UserReadOnly, 1)).toBe(0x12300812);
    expect(pdeKind(pdeSection(0, AP.NoAccess))).toBe(PdeKind.Section);
  });
  it('supersection PDE: base in 31..24, bit 18 set', () => {
    expect(pdeSupersection(0x12000000, AP.PrivilegedOnly)).toBe(0x12040402);
    expect(pdeKind(pdeSupersection(0x01000000, 3))).toBe(PdeKind.Supersection);
  });
  it('large PTE: base in 31..16, AP in 5..4, type 01, XN in 15', () => {
    expect(pteLarge(0x12340000, AP.UserReadWrite)).toBe(0x12340031);
    expect(pteLarge(0x12340000, AP.UserReadWrite, 1)).toBe(0x12348031);
    expect(pteKind(pteLarge(0x10000, 3))).toBe(PteKind.Large);
  });
  it('small PTE: base in 31..12, AP in 5..4, bit 1 set, XN in bit 0', () => {
    expect(pteSmall(0x12345000, AP.UserReadWrite)).toBe(0x12345032);
    expect(pteSmall(0x12345000, AP.UserReadOnly, 1)).toBe(0x12345023);
    expect(pteKind(pteSmall(0x1000, 3, 1))).toBe(PteKind.Small);
  });
  it('classifies invalid and reserved entries', () => {
    expect(pdeKind(0)).toBe(PdeKind.Invalid);
    expect(pdeKind(0xfffffffc)).toBe(PdeKind.Invalid);
    expect(pdeKind(3)).toBe(PdeKind.Reserved);
    expect(pteKind(0)).toBe(PteKind.Invalid);
    expect(pteKind(0xfffffff0)).toBe(PteKind.Invalid);
  });
});

test.prop([fc.integer({ min: 0, max: 0xffffffff })], { seed: 0x5eed, numRuns: 500 })(
  'pdeKind / pteKind agree with the layouts',
  (w) => {
    const k = pdeKind(w);
    expect(matches(PDE_INVALID, w)).toBe(k === PdeKind.Invalid);
    expect(matches(PDE_COARSE, w)).toBe(k === PdeKind.Coarse);
    expect(matches(PDE_SECTION, w)).toBe(k === PdeKind.Section);
    expect(matches(PDE_SUPERSECTION, w)).toBe(k === PdeKind.Supersection);
    const p = pteKind(w);
    expect(matches(PTE_INVALID, w)).toBe(p === PteKind.Invalid);
    expect(matches(PTE_LARGE, w)).toBe(p === PteKind.Large);
    expect(matches(PTE_SMALL, w)).toBe(p === PteKind.Small);
  },
);

describe('access permissions', () => {
  it('follows the ARMv7 AP[2:0] table for user accesses', () => {
    const rw = USER_READ | USER_WRITE;
    expect([0, 1, 2, 3].map((ap) => userAccess(0, ap))).toEqual([USER_NONE, USER_NONE, USER_READ, rw]);
    expect([0, 1, 2, 3].map((ap) => userAccess(1, ap))).toEqual([USER_NONE, USER_NONE, USER_READ, USER_READ]);
  });
  it('maps seL4 VM rights: kernel-only none, read-only R, read-write RW', () => {
    expect(userAccess(0, AP.NoAccess)).toBe(USER_NONE);
    expect(userAccess(0, AP.PrivilegedOnly)).toBe(USER_NONE);
    expect(userAccess(0, AP.UserReadOnly)).toBe(USER_READ);
    expect(userAccess(0, AP.UserReadWrite)).toBe(USER_READ | USER_WRITE);
  });
  it('indexes tables by vaddr bits', () => {
    expect(pdIndex(0xfff12345)).toBe(0xfff);
    expect(ptIndex(0x1233f000)).toBe(0x3f);
  });
});
