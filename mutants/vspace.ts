// Mutants of the vspace area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

const SPEC_VS = 'spec/kernel/vspace.ts';
const IMPL_VS = 'impl/kernel/vspace.ts';

export const VSPACE_MUTANTS: readonly Mutant[] = [
  {
    name: 'vs-map-ignores-write-mask',
    class: 'both',
    area: 'vspace',
    doc: 'maskVMRights keeps a read-write frame writable even when the rights word of Page_Map lacks Write.',
    patches: [
      { file: SPEC_VS, find: "if (vm === 'VMReadWrite' && mask.read) return mask.write ? 'VMReadWrite' : 'VMReadOnly';", replace: "if (vm === 'VMReadWrite' && mask.read) return 'VMReadWrite';" },
      { file: 'impl/object/objecttype.ts', find: 'if (vm === VM_RIGHTS.VMReadWrite && read) return (rights & RIGHT_WRITE) !== 0 ? VM_RIGHTS.VMReadWrite : VM_RIGHTS.VMReadOnly;', replace: 'if (vm === VM_RIGHTS.VMReadWrite && read) return VM_RIGHTS.VMReadWrite;' },
    ],
  },
  {
    name: 'impl-unmap-page-no-tlb-flush',
    class: 'impl',
    area: 'vspace',
    doc: 'The concrete unmapPage clears the page table entries but does not flush the TLB, so the thread can still reach the frame through a stale translation.',
    patches: [{ file: IMPL_VS, find: '  k.m.flushByAddress(vaddr, asid);\n}', replace: '}' }],
  },
  {
    name: 'impl-unmap-pt-no-tlb-flush',
    class: 'impl',
    area: 'vspace',
    doc: 'The concrete unmapPageTable clears the directory entry but does not flush the ASID from the TLB.',
    patches: [{ file: IMPL_VS, find: '  k.m.store32(pd + 4 * pdIndex(vaddr), PDE_INVALID);\n  k.m.flushByASID(asid);', replace: '  k.m.store32(pd + 4 * pdIndex(vaddr), PDE_INVALID);' }],
  },
  {
    name: 'impl-remap-no-tlb-flush',
    class: 'impl',
    area: 'vspace',
    doc: 'A Page_Map over the frame\'s existing mapping (new rights) does not flush the TLB, so a write through the old read-write translation still succeeds.',
    patches: [{ file: IMPL_VS, find: '      if (remap) k.m.flushByASID(inv.asid);\n', replace: '' }],
  },
  {
    name: 'spec-unmap-large-page-one-entry',
    class: 'spec',
    area: 'vspace',
    doc: 'The abstract unmapPage clears only the first of the 16 page table entries of a large page.',
    patches: [{ file: SPEC_VS, find: "clear(entries, slot.value.index, size === 'SmallPage' ? 1 : CONTIGUOUS_ENTRIES);", replace: 'clear(entries, slot.value.index, 1);' }],
  },
  {
    name: 'spec-assign-asid-zero',
    class: 'spec',
    area: 'vspace',
    doc: 'The abstract ASIDPool_Assign may hand out ASID 0, which seL4 reserves as invalid.',
    patches: [{ file: SPEC_VS, find: 'while (i <= ASID_LOW_MASK && (cap.asidBase + i === 0 || entries[i] !== undefined)) i++;', replace: 'while (i <= ASID_LOW_MASK && entries[i] !== undefined) i++;' }],
  },
];
