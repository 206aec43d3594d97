/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpart_enter: last code a partition CPU runs on behalf of the boot kernel.
 *
 * Called from the park loop with interrupts off:
 *	%rdi	CR3: partition identity page table (maps this code too)
 *	%rsi	entry point, physical
 *	%rdx	argument for the new kernel, passed in %rsi
 *	%rcx	stack top, physical
 *	%r8	gdtr, physical; the idtr follows 16 bytes later
 *
 * Leaves the CPU in the state the 64-bit boot protocol asks for: long mode,
 * identity-mapped paging, CS = 0x10 and data segments = 0x18 in a flat GDT,
 * interrupts off, %rsi = boot_params. Global and PCID-tagged translations of
 * the boot kernel are flushed so none survive into the new kernel.
 *
 * Control registers are set to a known state the way the kernel's own
 * kexec relocation code does: CET (IBT and shadow stacks) off in the MSRs
 * and CR4, since the new kernel's first instruction is no ENDBR; CR4 down
 * to PAE, LA57 and MCE; CR0 without WP, AM, TS and EM.
 *
 * The IDT loaded here (boot-x86/bootparams.c) sends every exception to
 * kpart_entry_vectors below, which record the first fault in the
 * descriptor and halt the CPU: a fault before the new kernel has an IDT of
 * its own ends that partition, never the machine with a triple fault.
 */
#include <linux/linkage.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/unwind_hints.h>
#include "boot-x86.h"

	.text
	.balign	64
SYM_CODE_START(kpart_enter)
	UNWIND_HINT_END_OF_STACK
	ANNOTATE_NOENDBR
	cli
	movq	%rsi, %r9
	movq	%rdx, %r10

	/* CET off first: it pins CR0.WP, and its MSRs exist only with it */
	movq	%cr4, %rax
	testq	$X86_CR4_CET, %rax
	jz	1f
	movl	$MSR_IA32_S_CET, %ecx
	xorl	%eax, %eax
	xorl	%edx, %edx
	wrmsr
	movl	$MSR_IA32_U_CET, %ecx
	wrmsr
	movq	%cr4, %rax
	andq	$~X86_CR4_CET, %rax
	movq	%rax, %cr4
1:
	movq	%rdi, %cr3
	/* Flushes global and PCID-tagged entries: PGE and PCIDE go */
	movq	%cr4, %rax
	andq	$(X86_CR4_PAE | X86_CR4_LA57 | X86_CR4_MCE), %rax
	movq	%rax, %cr4
	movq	%cr0, %rax
	andq	$~(X86_CR0_WP | X86_CR0_AM | X86_CR0_TS | X86_CR0_EM), %rax
	movq	%rax, %cr0

	movq	%rcx, %rsp
	lgdt	(%r8)
	lidt	16(%r8)
	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs

	/*
	 * CS keeps selector 0x10, the boot kernel's 64-bit code segment,
	 * which is what the new GDT has there too; the new kernel reloads it.
	 */
	movq	%r10, %rsi
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	jmpq	*%r9
SYM_CODE_END(kpart_enter)

/*
 * Entry IDT handlers, one 16-byte stub per exception vector 0-31. Each
 * pushes a zero where the CPU pushes no error code, then its vector, and
 * jumps to the common tail. The stubs run on whatever stack the CPU has
 * (no TSS, no IST): a fault with an unusable stack still shuts the CPU
 * down.
 */
	.balign	16
SYM_CODE_START(kpart_entry_vectors)
	vector = 0
	.rept	32
	UNWIND_HINT_UNDEFINED
	ANNOTATE_NOENDBR
	.if ((0x60227d00 >> vector) & 1) == 0	/* no error code: not 8, 10-14, 17, 21, 29, 30 */
	pushq	$0
	.endif
	pushq	$vector
	jmp	kpart_entry_fault
	.balign	16
	vector = vector + 1
	.endr
SYM_CODE_END(kpart_entry_vectors)

/*
 * The first fault of the partition wins: its vector + 1, RIP and error
 * code go into the descriptor, found from the IDT's own address (the
 * partition's boot area, identity mapped). The CPU then halts with
 * interrupts off until the boot kernel takes it back with INIT.
 */
SYM_CODE_START_LOCAL(kpart_entry_fault)
	UNWIND_HINT_UNDEFINED
	subq	$16, %rsp
	sidt	(%rsp)
	movq	2(%rsp), %rdx
	addq	$16, %rsp
	subq	$KPART_OFF_IDT, %rdx
	addq	$KPART_SETUP_DATA_SIZE, %rdx		/* the descriptor */
	popq	%rcx					/* vector */
	popq	%rdi					/* error code */
	movq	(%rsp), %rsi				/* faulting RIP */
	leal	1(%rcx), %ecx
	xorl	%eax, %eax
	lock cmpxchgl %ecx, KPART_DESC_ENTRY_FAULT(%rdx)
	jnz	2f
	movq	%rsi, KPART_DESC_ENTRY_FAULT_RIP(%rdx)
	movq	%rdi, KPART_DESC_ENTRY_FAULT_ERROR(%rdx)
2:	cli
	hlt
	jmp	2b
SYM_CODE_END(kpart_entry_fault)

/* Test only (kpart.test_entry_fault): an entry point that faults with #UD */
SYM_CODE_START(kpart_entry_test_fault)
	UNWIND_HINT_UNDEFINED
	ANNOTATE_NOENDBR
	ud2
SYM_CODE_END(kpart_entry_test_fault)
	.globl	kpart_enter_end
kpart_enter_end:
