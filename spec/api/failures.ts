// The failures of a kernel entry (l4v SEL4/API/Failures.lhs) are the ABI's: abi/failures.ts.

export * from '../../abi/failures';
